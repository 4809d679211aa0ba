using System.Reflection;
using System.Runtime.CompilerServices;

namespace Netstack.Harness.Running;

/// <summary>Compiles the stack's, the wires' and the harness's methods before a real-time run starts its clock.
/// A method's first call otherwise stops the loop while the JIT compiles it: milliseconds, on a wire where
/// scenarios allow 4. The virtual warm-up run covers the stack but not the tap, the bridge, the real-time
/// loop or the kernel's sockets. Done once per process.</summary>
public static class JitWarmUp
{
    private static int _done;

    public static void PrepareOnce()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        foreach (var assembly in new[] { typeof(NetworkStack).Assembly, typeof(Netstack.Drivers.Tap.TapLink).Assembly, typeof(JitWarmUp).Assembly })
            foreach (var type in assembly.GetTypes())
            {
                if (type.ContainsGenericParameters) continue;
                foreach (var method in type.GetMethods(BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static |
                                                       BindingFlags.Public | BindingFlags.NonPublic))
                {
                    if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null) continue;
                    try
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException or TypeLoadException or BadImageFormatException)
                    {
                        // Some methods cannot be compiled ahead of a call (e.g. on types with unresolved constraints): they JIT on first use.
                    }
                }
                foreach (var ctor in type.GetConstructors(BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    try
                    {
                        RuntimeHelpers.PrepareMethod(ctor.MethodHandle);
                    }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException or TypeLoadException or BadImageFormatException)
                    {
                    }
                }
            }
    }
}
