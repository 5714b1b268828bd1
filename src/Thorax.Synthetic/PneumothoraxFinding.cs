namespace Thorax.Synthetic;

/// <summary>A planted pneumothorax.</summary>
/// <param name="Side">Patient side.</param>
/// <param name="Location">Where the air collects.</param>
/// <param name="Size">Size class.</param>
/// <param name="Tension">Tension variant: the mediastinum is shifted away from the affected side (rendered on real
/// backgrounds only, <see cref="SynthOptions.TensionRate"/>).</param>
public sealed record PneumothoraxFinding(BodySide Side, PneumothoraxLocation Location, PneumothoraxSize Size, bool Tension = false);
