using Carevault.Hl7v2;

namespace Carevault.Mllp;

/// <summary>Ready-made handlers for <see cref="MllpListener"/>.</summary>
public static class MllpHandlers
{
    /// <summary>
    /// Parses each message: a parse failure is answered AR without calling <paramref name="enqueueAsync"/>; otherwise
    /// <paramref name="enqueueAsync"/> must store the message durably, and only after it completes is AA returned.
    /// If it throws, the listener answers AE (the sender retries).
    /// </summary>
    public static Func<ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> AcknowledgeAfter(
        Func<Hl7Message, CancellationToken, Task> enqueueAsync, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(enqueueAsync);
        TimeProvider time = clock ?? TimeProvider.System;
        return async (bytes, cancellationToken) =>
        {
            Hl7Result<Hl7Message> parsed = Hl7v2Parser.Parse(bytes);
            if (!parsed.IsSuccess)
            {
                return MllpAcknowledgements.Reject(parsed.Error!, time.GetUtcNow());
            }

            await enqueueAsync(parsed.Value!, cancellationToken).ConfigureAwait(false);
            return MllpAcknowledgements.Accept(parsed.Value!, time.GetUtcNow());
        };
    }
}
