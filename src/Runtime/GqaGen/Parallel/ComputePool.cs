using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace GqaGen;

/// <summary>
/// A fixed set of worker threads that split a range of items (matrix rows, vector elements, ranges of cache
/// positions) into contiguous chunks, one per thread; the calling thread takes a chunk too. <see cref="Threads"/> == 1
/// runs everything inline.
/// </summary>
/// <remarks>
/// <para>One pool serves a whole decoder: GqaGen.Llama's matrix products and split-KV attention
/// (<see cref="GqaAttention.Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float}, ComputePool?)"/>)
/// take turns on the same threads.</para>
/// <para>A decoder calls it about 150 times per token, so a call allocates nothing (the function-pointer form; the only
/// managed allocation after construction is the 24-byte lock object each worker's event creates the first time that
/// worker blocks) and wakes workers cheaply: each
/// worker spins for a short while after its chunk (about <see cref="DefaultSpinMicroseconds"/> µs) watching for the
/// next one, and only then blocks on an event. Workers do not spin when there are more threads than processors.</para>
/// <para>One range runs at a time: calls from several threads are serialized. A call made from inside a body running
/// on this pool (nesting) runs its whole range inline on that thread instead of deadlocking. An exception thrown by a
/// body on any thread is rethrown to the caller, after every chunk has finished (the first one thrown wins).</para>
/// <para>Workers are background threads (they never keep the process alive); <see cref="Dispose"/> stops and joins
/// them. A pool that is never disposed keeps its threads, and itself, alive until the process ends.</para>
/// </remarks>
public sealed unsafe class ComputePool : IDisposable
{
    /// <summary>How long an idle worker watches for new work before it blocks, when it may spin.</summary>
    internal const int DefaultSpinMicroseconds = 200;

    [ThreadStatic]
    private static ComputePool? t_running;

    private readonly Worker[] _workers;
    private readonly Lock _gate = new();
    private readonly long _spinTicks;

    // The range being run; written by the caller under _gate before workers are released, read by them after.
    private delegate*<void*, int, int, void> _function;
    private void* _state;
    private Action<int, int>? _action;
    private int _pending;
    private ExceptionDispatchInfo? _exception;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>Starts <paramref name="threads"/> − 1 worker threads; the caller of <see cref="For(int, Action{int, int})"/>
    /// is the remaining one.</summary>
    /// <param name="threads">1 to 4 × <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is out of that range.</exception>
    public ComputePool(int threads)
        : this(threads, Environment.ProcessorCount >= threads ? DefaultSpinMicroseconds : 0)
    {
    }

    /// <summary>As the public constructor, with the idle spin set explicitly (0: block at once).</summary>
    internal ComputePool(int threads, int spinMicroseconds)
    {
        int max = Environment.ProcessorCount * 4;
        if (threads < 1 || threads > max)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"A compute pool needs 1 to {max} threads (4 × the {Environment.ProcessorCount} processors); got {threads}.");
        ArgumentOutOfRangeException.ThrowIfNegative(spinMicroseconds);
        Threads = threads;
        _spinTicks = spinMicroseconds * Stopwatch.Frequency / 1_000_000;
        _workers = new Worker[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            var worker = new Worker();
            worker.Thread = new Thread(() => WorkerLoop(worker))
            {
                IsBackground = true,
                Name = $"GqaGen compute {i + 1}/{threads}",
            };
            _workers[i] = worker;
        }
        foreach (Worker worker in _workers)
            worker.Thread!.Start();
    }

    /// <summary>The number of threads a range is split over, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over contiguous chunks that cover <c>[0, itemCount)</c> exactly once,
    /// one chunk per thread, and returns when all have finished.
    /// </summary>
    /// <remarks>
    /// The split: the items are cut into at most <see cref="Threads"/> chunks of <c>ceil(itemCount / Threads)</c> items
    /// (the last one shorter); the caller runs the first chunk and worker i the (i + 1)-th. Nothing runs for
    /// <paramref name="itemCount"/> 0.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public void For(int itemCount, Action<int, int> body) => For(itemCount, 1, body);

    /// <summary>
    /// As <see cref="For(int, Action{int, int})"/>, with every chunk boundary a multiple of <paramref name="granularity"/>:
    /// the items are cut into at most <see cref="Threads"/> chunks of <c>ceil(ceil(itemCount / granularity) / Threads)
    /// · granularity</c> items, the last one shorter.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> is negative or
    /// <paramref name="granularity"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public void For(int itemCount, int granularity, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(itemCount, granularity, null, null, body);
    }

    /// <summary>
    /// The allocation-free form that kernels and matrix products use: as <see cref="For(int, int, Action{int, int})"/>,
    /// calling <paramref name="function"/>(<paramref name="state"/>, start, end). <paramref name="state"/> may point into
    /// the caller's stack frame: the call returns only when no thread uses it any more.
    /// </summary>
    /// <remarks>A call nested inside one of this pool's chunks runs <c>function(state, 0, itemCount)</c> once, inline,
    /// so a body must handle any sub-range it is given, not only the chunk sizes above.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> is negative or
    /// <paramref name="granularity"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public void For(int itemCount, int granularity, delegate*<void*, int, int, void> function, void* state)
    {
        if (function is null)
            throw new ArgumentNullException(nameof(function));
        Run(itemCount, granularity, function, state, null);
    }

    /// <summary>Whether <see cref="Dispose"/> has run (for callers that may not reach <see cref="For(int, Action{int, int})"/>,
    /// such as a single-chunk multiply, but should still refuse a disposed pool).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    private void Run(int itemCount, int granularity, delegate*<void*, int, int, void> function, void* state, Action<int, int>? action)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(granularity);
        if (itemCount == 0)
            return;
        if (t_running == this)
        {
            // Nested inside one of this pool's chunks: every worker may be busy, so do it all here.
            Execute(function, state, action, 0, itemCount);
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long units = (itemCount + (long)granularity - 1) / granularity;
            int chunk = (int)Math.Min(itemCount, (units + Threads - 1) / Threads * granularity);
            int chunks = (int)((itemCount + (long)chunk - 1) / chunk);

            _function = function;
            _state = state;
            _action = action;
            _exception = null;
            Volatile.Write(ref _pending, chunks - 1);
            for (int i = 1; i < chunks; i++)
            {
                Worker worker = _workers[i - 1];
                worker.Start = i * chunk;
                worker.End = (int)Math.Min(itemCount, (long)(i + 1) * chunk);
                // A full fence: the job above is visible before the new generation, and the read of Sleeping below
                // cannot move before it (the worker does the mirror image; see WaitForWork).
                Interlocked.Increment(ref worker.Generation);
                if (Volatile.Read(ref worker.Sleeping) != 0)
                    worker.Wake.Set();
            }

            ComputePool? outer = t_running;
            t_running = this;
            try
            {
                Execute(function, state, action, 0, chunk);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _exception, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                t_running = outer;
            }

            // The workers may still use `state`, which can live in our caller's frame: always wait for them.
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);

            _function = null;
            _state = null;
            _action = null;
            ExceptionDispatchInfo? exception = _exception;
            _exception = null;
            exception?.Throw();
        }
    }

    /// <summary>Runs one chunk: <paramref name="action"/> if given, else <paramref name="function"/>.</summary>
    private static void Execute(delegate*<void*, int, int, void> function, void* state, Action<int, int>? action, int start, int end)
    {
        if (action is not null)
            action(start, end);
        else
            function(state, start, end);
    }

    private void WorkerLoop(Worker worker)
    {
        t_running = this;
        int seen = 0;
        while (true)
        {
            seen = WaitForWork(worker, seen);
            if (_stopping)
                return;
            try
            {
                Execute(_function, _state, _action, worker.Start, worker.End);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _exception, ExceptionDispatchInfo.Capture(e), null);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Returns the worker's new generation once it differs from <paramref name="seen"/>: spins first, then blocks.</summary>
    private int WaitForWork(Worker worker, int seen)
    {
        long spinUntil = Stopwatch.GetTimestamp() + _spinTicks;
        int generation;
        while ((generation = Volatile.Read(ref worker.Generation)) == seen)
        {
            if (Stopwatch.GetTimestamp() < spinUntil)
            {
                Thread.SpinWait(20);
                continue;
            }
            // Announce the sleep with a full fence before the last look at Generation: either the caller sees
            // Sleeping and sets the event, or this look sees its new generation. A stale Set is undone by the Reset.
            worker.Wake.Reset();
            Interlocked.Exchange(ref worker.Sleeping, 1);
            if (Volatile.Read(ref worker.Generation) == seen)
                worker.Wake.Wait();
            Volatile.Write(ref worker.Sleeping, 0);
        }
        return generation;
    }

    /// <summary>Stops and joins the worker threads. Calls after this throw <see cref="ObjectDisposedException"/>.</summary>
    /// <exception cref="InvalidOperationException">Called from a body running on this pool.</exception>
    public void Dispose()
    {
        if (t_running == this)
            throw new InvalidOperationException("A compute pool cannot be disposed from inside one of its own chunks.");
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _stopping = true;
            foreach (Worker worker in _workers)
            {
                Interlocked.Increment(ref worker.Generation);
                worker.Wake.Set();
            }
        }
        foreach (Worker worker in _workers)
        {
            worker.Thread!.Join();
            worker.Wake.Dispose();
        }
    }

    /// <summary>One worker thread's mailbox: its chunk and the generation counter that hands it over.</summary>
    private sealed class Worker
    {
        public Thread? Thread;
        public readonly ManualResetEventSlim Wake = new(false, spinCount: 1);
        public int Generation;
        public int Sleeping;
        public int Start;
        public int End;
    }
}
