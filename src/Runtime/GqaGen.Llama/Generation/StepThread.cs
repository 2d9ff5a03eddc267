using System.Collections.Concurrent;

namespace GqaGen.Llama.Generation;

/// <summary>
/// A thread of its own for one streamed generation's steps, so that the forward passes never run on the consumer's
/// context and never hop between thread-pool threads.
/// </summary>
/// <remarks>
/// <para>Why not <c>Task.Run</c> per step: each one queues a work item, and the pool wakes another worker to look for it;
/// that worker finds nothing and spins, taking a core (or the compute thread's hyperthread sibling) from the forward
/// pass. On a 2-core machine the built-in model's steps ran 1.6× slower that way than in the blocking loop.</para>
/// <para>Here a step's completion resumes the awaiting iterator on this thread, and a consumer without a
/// synchronization context continues on it too, so its next request is queued from this thread and picked up with no
/// wake-up at all. A consumer with a context (a UI thread) is resumed there, by its context; this thread then waits for
/// the next step.</para>
/// </remarks>
internal sealed class StepThread : IDisposable
{
    private readonly BlockingCollection<Action> _steps = [];

    public StepThread()
    {
        var thread = new Thread(RunSteps) { IsBackground = true, Name = "GqaGen generation" };
        thread.Start();
    }

    /// <summary>Runs <paramref name="step"/> on this thread after the steps queued before it; its task completes (or
    /// fails with the step's exception, cancellation included) on this thread.</summary>
    public Task<T> Run<T>(Func<T> step)
    {
        // Continuations run synchronously: the awaiting iterator resumes right here (see the remarks).
        var done = new TaskCompletionSource<T>();
        _steps.Add(() =>
        {
            T result;
            try
            {
                result = step();
            }
            catch (Exception e)
            {
                done.SetException(e); // an OperationCanceledException stays itself for the awaiter
                return;
            }
            done.SetResult(result);
        });
        return done.Task;
    }

    /// <summary>Lets the thread end once the step it may be running returns (safe to call from that step's continuation).</summary>
    public void Dispose() => _steps.CompleteAdding();

    private void RunSteps()
    {
        foreach (Action step in _steps.GetConsumingEnumerable())
            step();
        _steps.Dispose();
    }
}
