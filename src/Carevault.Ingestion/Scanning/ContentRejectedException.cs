namespace Carevault.Ingestion.Scanning;

/// <summary>
/// Thrown from inside the upload stream to stop a write the scanners refuse: the blob store then keeps nothing.
/// Caught by <see cref="Intake.ReportIntake"/> and turned into an <see cref="Intake.IntakeError"/>.
/// </summary>
internal sealed class ContentRejectedException(Intake.IntakeError error) : Exception(error.Message)
{
    public Intake.IntakeError Error { get; } = error;
}
