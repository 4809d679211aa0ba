using System.Buffers.Binary;

namespace Netstack.Wire;

/// <summary>MLDv2 Multicast Listener Report (RFC 3810 §5.2): the groups a node listens to, so switches that
/// snoop MLD and routers keep delivering them.</summary>
public static class Mldv2Report
{
    /// <summary>Bytes before the first address record.</summary>
    public const int HeaderLength = 8;
    /// <summary>Bytes of an address record with no sources and no auxiliary data.</summary>
    public const int RecordLength = 20;
    /// <summary>CHANGE_TO_EXCLUDE_MODE with no sources: "I now listen to this group" (RFC 3810 §5.2.12).</summary>
    public const byte ChangeToExcludeMode = 4;
    /// <summary>CHANGE_TO_INCLUDE_MODE with no sources: "I stopped listening".</summary>
    public const byte ChangeToIncludeMode = 3;

    /// <summary>Bytes of a report with <paramref name="records"/> source-less records.</summary>
    public static int Length(int records) => HeaderLength + records * RecordLength;

    /// <summary>Writes the header and one source-less record per group (checksum left to the caller).</summary>
    public static void Write(Span<byte> message, byte recordType, ReadOnlySpan<Ipv6Address> groups)
    {
        message[..Length(groups.Length)].Clear();
        message[0] = (byte)Icmpv6Type.Mldv2Report;
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], (ushort)groups.Length);
        for (int i = 0; i < groups.Length; i++)
        {
            var record = message[(HeaderLength + i * RecordLength)..];
            record[0] = recordType;
            groups[i].Write(record[4..]);
        }
    }

    /// <summary>Number of address records a report claims.</summary>
    public static int RecordCount(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[6..]);

    /// <summary>The group of record <paramref name="index"/>, when every record before it and it have no sources or
    /// auxiliary data (as we send them); false when the report is shorter.</summary>
    public static bool TryReadGroup(ReadOnlySpan<byte> message, int index, out byte recordType, out Ipv6Address group)
    {
        recordType = 0;
        group = default;
        int at = HeaderLength + index * RecordLength;
        if (message.Length < at + RecordLength) return false;
        recordType = message[at];
        group = Ipv6Address.Read(message[(at + 4)..]);
        return true;
    }
}
