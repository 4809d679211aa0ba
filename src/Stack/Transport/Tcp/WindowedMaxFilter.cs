namespace Netstack.Transport.Tcp;

/// <summary>The largest value seen over a sliding window of "time" (for BBR's bottleneck bandwidth, a count of round
/// trips), kept as the best, second-best and third-best samples of the window's recent past (Kathleen Nichols'
/// estimator, which draft-cardwell-iccrg-bbr-congestion-control names). Three samples, no history array: when
/// the best one ages out, the second one (younger by construction) takes over.</summary>
public struct WindowedMaxFilter
{
    private double _best, _second, _third;
    private long _bestAt, _secondAt, _thirdAt;

    /// <summary>The maximum over the window; 0 before the first sample.</summary>
    public readonly double Best => _best;

    /// <summary>Forgets everything but <paramref name="value"/>, taken at <paramref name="at"/>.</summary>
    public void Reset(double value, long at)
    {
        _best = _second = _third = value;
        _bestAt = _secondAt = _thirdAt = at;
    }

    /// <summary>Adds a sample taken at <paramref name="at"/> (non-decreasing); samples older than
    /// <paramref name="window"/> no longer count.</summary>
    public void Update(double value, long at, long window)
    {
        // A new maximum, or every kept sample too old: this one is all that matters.
        if (value >= _best || at - _thirdAt > window)
        {
            Reset(value, at);
            return;
        }
        if (value >= _second)
        {
            _second = _third = value;
            _secondAt = _thirdAt = at;
        }
        else if (value >= _third)
        {
            _third = value;
            _thirdAt = at;
        }
        if (at - _bestAt > window)
        {
            // The best has aged out: the younger runners-up move up (twice if the second is stale too).
            _best = _second; _bestAt = _secondAt;
            _second = _third; _secondAt = _thirdAt;
            _third = value; _thirdAt = at;
            if (at - _bestAt > window)
            {
                _best = _second; _bestAt = _secondAt;
                _second = _third; _secondAt = _thirdAt;
            }
        }
        else if (_secondAt == _bestAt && at - _bestAt > window / 4)
        {
            // A quarter of the window without a distinct second-best: keep a younger candidate.
            _second = _third = value;
            _secondAt = _thirdAt = at;
        }
        else if (_thirdAt == _secondAt && at - _secondAt > window / 2)
        {
            _third = value;
            _thirdAt = at;
        }
    }
}
