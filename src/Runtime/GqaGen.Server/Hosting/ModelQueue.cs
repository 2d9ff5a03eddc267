namespace GqaGen.Server.Hosting;

/// <summary>
/// Requests queue for the model: one generation at a time, the others waiting in arrival order. A CPU model has no
/// batching, so running two requests at once would only split the cores between them and slow both; queueing keeps each
/// request at full speed and the model's state (its sessions, its KV cache) touched by one request at a time.
/// </summary>
/// <remarks><see cref="SemaphoreSlim"/> releases its asynchronous waiters first in, first out. A waiter whose request
/// is cancelled (the client closed the connection) leaves the queue at once without ever reaching the model.</remarks>
internal sealed class ModelQueue : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _waiting;

    /// <summary>Requests waiting for their turn (not counting the one generating).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Whether a request holds the model now.</summary>
    public bool IsBusy => _turn.CurrentCount == 0;

    /// <summary>Waits for the model; dispose the returned turn to hand it to the next request.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        return new Turn(_turn);
    }

    /// <inheritdoc/>
    public void Dispose() => _turn.Dispose();

    /// <summary>A request's hold on the model.</summary>
    internal sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private SemaphoreSlim? _turn = turn;

        /// <summary>Hands the model to the next request (once; later calls do nothing).</summary>
        public void Dispose() => Interlocked.Exchange(ref _turn, null)?.Release();
    }
}
