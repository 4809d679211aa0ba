namespace Netstack.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("harness: the command line is not built yet");
        return 2;
    }
}
