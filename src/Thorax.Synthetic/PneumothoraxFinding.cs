namespace Thorax.Synthetic;

/// <summary>A planted pneumothorax.</summary>
/// <param name="Side">Patient side.</param>
/// <param name="Location">Where the air collects.</param>
/// <param name="Size">Size class.</param>
public sealed record PneumothoraxFinding(BodySide Side, PneumothoraxLocation Location, PneumothoraxSize Size);
