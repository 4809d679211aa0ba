using Netstack.Wire;

namespace Netstack.Network;

/// <summary>Longest-prefix-match routing. Kept sorted by prefix length so lookup is a linear scan that
/// stops at the first hit; tables here hold a handful of routes.</summary>
public sealed class RoutingTable
{
    private readonly List<Route> _routes = new();
    // The last look-up's answer: a host mostly sends to one destination after another, and the table only grows.
    private Ipv4Address _lastDestination;
    private Route? _lastRoute;

    /// <summary>The routes, longest prefix first.</summary>
    public IReadOnlyList<Route> Routes => _routes;

    /// <summary>Inserts <paramref name="route"/> after the routes with a prefix at least as long; an existing route for
    /// the same prefix is not replaced but still takes precedence.</summary>
    public void Add(Route route)
    {
        int i = 0;
        while (i < _routes.Count && _routes[i].Prefix.PrefixLength >= route.Prefix.PrefixLength) i++;
        _routes.Insert(i, route);
        _lastRoute = null;
    }

    /// <summary>The route with the longest prefix containing <paramref name="destination"/>, or null when none
    /// does.</summary>
    public Route? Lookup(Ipv4Address destination)
    {
        if (_lastRoute is { } last && _lastDestination == destination) return last;
        foreach (var r in _routes)
            if (destination.IsInSubnet(r.Prefix.Network, r.Prefix.PrefixLength))
            {
                _lastDestination = destination;
                _lastRoute = r;
                return r;
            }
        return null;
    }
}
