namespace Netstack.Harness.Scenarios;

/// <summary>Collects the mistakes of a file's independent parts, so the loader reports them all in one run
/// instead of stopping at the first.</summary>
internal sealed class LoadErrors
{
    private readonly List<ScenarioFormatException> _errors = new();

    public int Count => _errors.Count;

    /// <summary>Reads one part; on a mistake, records it and gives <paramref name="fallback"/>.</summary>
    public T Try<T>(Func<T> read, T fallback)
    {
        try
        {
            return read();
        }
        catch (ScenarioFormatException e)
        {
            _errors.Add(e);
            return fallback;
        }
    }

    public void Try(Action read) => Try(() => { read(); return true; }, false);

    public void Add(ScenarioFormatException e) => _errors.Add(e);

    /// <summary>Throws everything collected, if anything was.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count > 0) throw ScenarioFormatException.Of(_errors);
    }
}
