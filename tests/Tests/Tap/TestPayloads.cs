using System.Security.Cryptography;

namespace Netstack.Tests.Tap;

/// <summary>Seeded test data for the real-wire tests and the hash they compare it by.</summary>
public static class TestPayloads
{
    /// <summary>A file of <paramref name="length"/> random bytes, the same for the same seed.</summary>
    public static void WriteRandomFile(string path, int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The SHA-256 of a file in lower-case hex, as sha256sum and our services print it.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Alphanumeric text of <paramref name="length"/> characters (safe through socat's line handling), seeded
    /// by its length.</summary>
    public static string RandomText(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var random = new Random(length);
        return new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
    }
}
