namespace Netstack.Cli.Live;

/// <summary>The open connections of one service, held to <see cref="ConnectionLimits.MaxConnections"/>: a new
/// connection over the cap ends the least recently active one, so slow clients holding every slot cannot keep
/// a fresh client out (it is the most recently active when it arrives).</summary>
public sealed class ConnectionTable(int maxConnections)
{
    private readonly HashSet<GuardedStream> _open = new();

    public int Count => _open.Count;
    public long Evicted { get; private set; }

    /// <summary>Adds <paramref name="connection"/>, first ending the stalest ones if the table is full.</summary>
    public void Add(GuardedStream connection)
    {
        while (_open.Count >= maxConnections)
        {
            GuardedStream? stalest = null;
            foreach (var open in _open)
                if (stalest is null || open.LastActivity < stalest.LastActivity) stalest = open;
            _open.Remove(stalest!);
            Evicted++;
            stalest!.Expire($"connection cap of {maxConnections} reached and this was the least recently active");
        }
        _open.Add(connection);
    }

    public void Remove(GuardedStream connection) => _open.Remove(connection);
}
