namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>Where a script's system calls run: our stack's API (<see cref="SocketTable"/>) or the Linux kernel's
/// sockets in the run's namespace (<see cref="KernelSocketTable"/>). A call returns its outcome, or a poll function
/// when it blocks, which the runner calls after every event on the loop until it yields one.</summary>
public interface ISocketModel
{
    SyscallOutcome? Execute(SyscallLine call, out SocketTable.Pending? pending);
}
