namespace Netstack.Cli.Watching;

/// <summary>Watches scenario files for <c>harness run --watch</c>: the directories under the run's paths are
/// watched from the start (so a save during a run is not missed), and a change counts when it touches one of the
/// files the last run selected. A change is reported once the files have been quiet for the debounce time, so an
/// editor's several writes of one save start one run.</summary>
public sealed class ScenarioFileWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly TimeSpan _debounce;
    private volatile HashSet<string> _files = new(StringComparer.Ordinal);
    private volatile string? _lastChanged;

    public ScenarioFileWatcher(IEnumerable<string> paths, TimeSpan debounce)
    {
        _debounce = debounce;
        foreach (var path in paths.Select(Path.GetFullPath))
        {
            bool isDirectory = Directory.Exists(path);
            var directory = isDirectory ? path : Path.GetDirectoryName(path);
            if (directory is null || !Directory.Exists(directory)) continue;
            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = isDirectory,
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, e) => Touched(e.FullPath);
            watcher.Created += (_, e) => Touched(e.FullPath);
            watcher.Deleted += (_, e) => Touched(e.FullPath);
            // An editor that saves by writing a temporary file and renaming it over the original.
            watcher.Renamed += (_, e) => Touched(e.FullPath);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>How many files a change counts for.</summary>
    public int Count => _files.Count;

    /// <summary>Sets the files a change counts for: the ones the last run selected.</summary>
    public void Watch(IReadOnlyCollection<string> files) =>
        _files = files.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);

    private void Touched(string path)
    {
        if (!_files.Contains(path)) return;
        _lastChanged = path;
        _changed.Release();
    }

    /// <summary>Waits for a change and then for the files to be quiet; returns the file that changed last, or null
    /// when <paramref name="stop"/> was cancelled.</summary>
    public string? WaitForChange(CancellationToken stop)
    {
        try
        {
            _changed.Wait(stop);
            while (_changed.Wait(_debounce, stop)) { }
            return _lastChanged;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _changed.Dispose();
    }
}
