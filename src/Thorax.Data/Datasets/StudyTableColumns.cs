namespace Thorax.Data.Datasets;

/// <summary>
/// The header of <c>studies.csv</c> in a dataset folder as <c>thorax synth</c> writes it (one row per study), shared
/// by the synthetic writer and <see cref="RealPneumothoraxSetWriter"/> so that an evaluation reading one reads both.
/// </summary>
public static class StudyTableColumns
{
    /// <summary>Column names in file order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "id", "index", "patient_id", "split", "class", "pneumothorax", "ptx_side", "ptx_location", "ptx_size",
        "ptx_pixels", "chest_tube", "ecg_leads", "shortcut_cue", "photometric", "encoding", "age", "sex",
        "study_instance_uid", "sop_instance_uid", "width", "height", "report", "ptx_tension", "background", "report_source",
    ];
}
