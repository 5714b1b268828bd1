using System.Text;

namespace Thorax.Synthetic.Internal;

/// <summary>Templated radiology reports consistent with the planted labels: side, size and location of a
/// pneumothorax, heart size, congestion, effusions, consolidation, devices, and explicit negations
/// ("No pneumothorax.") for absent findings. Several phrasings per statement, chosen by the study's RNG.</summary>
internal static class ReportWriter
{
    public static string Write(StudyPlan plan, RenderInfo info, ref Rng rng)
    {
        var findings = new List<string>();
        var impression = new List<string>();

        if ((plan.Devices & SupportDevices.ChestTube) != 0)
            findings.Add(Pick(ref rng, $"A {Side(plan.ChestTubeSide)} chest tube is in place.", $"{Cap(Side(plan.ChestTubeSide))} pleural drain in situ, tip projecting toward the apex."));
        if ((plan.Devices & SupportDevices.EcgLeads) != 0)
            findings.Add(Pick(ref rng, "ECG leads overlie the chest.", "Monitoring leads project over the thorax."));

        if (plan.Class == FindingClass.HeartFailure)
        {
            findings.Add(Pick(ref rng, "The heart is enlarged.", "Cardiomegaly.", "The cardiac silhouette is enlarged."));
            findings.Add(Pick(ref rng, "There is pulmonary vascular congestion with perihilar haziness.", "Pulmonary vascular congestion and mild interstitial edema.", "Cephalization of the pulmonary vessels with perihilar opacity."));
            findings.Add(info.Effusion
                ? Pick(ref rng, "Small bilateral pleural effusions.", "Blunting of both costophrenic angles consistent with small effusions.")
                : Pick(ref rng, "No pleural effusion.", "No effusion."));
            impression.Add(Pick(ref rng, "Cardiomegaly with pulmonary vascular congestion, consistent with congestive heart failure.", "Findings consistent with congestive heart failure."));
        }
        else
        {
            findings.Add(Pick(ref rng, "The heart size is normal.", "Heart size is within normal limits.", "Normal cardiomediastinal silhouette."));
            findings.Add(Pick(ref rng, "No pleural effusion.", "No effusion.", "The costophrenic angles are sharp."));
        }

        if (plan.Class == FindingClass.Pneumonia && info.PneumoniaSide is { } ps)
        {
            string where = $"{Side(ps)} {info.PneumoniaZone} lung zone";
            findings.Add(Pick(ref rng, $"Patchy airspace opacity in the {where}.", $"There is patchy consolidation in the {where}.", $"Ill-defined opacity in the {where}."));
            impression.Add(Pick(ref rng, $"{Cap(Side(ps))} {info.PneumoniaZone} zone opacity, concerning for pneumonia.", $"Findings consistent with {Side(ps)} {info.PneumoniaZone} zone pneumonia."));
        }
        else
        {
            findings.Add(Pick(ref rng, "No focal consolidation.", "The lungs are clear.", "No focal airspace opacity."));
        }

        if (plan.Pneumothorax is { } f)
        {
            string size = f.Size.ToString().ToLowerInvariant(), side = Side(f.Side), loc = f.Location.ToString().ToLowerInvariant();
            string extra = f.Size == PneumothoraxSize.Large ? " with retraction of the lung toward the hilum" : "";
            findings.Add(Pick(ref rng,
                $"There is a {size} {side} {loc} pneumothorax{extra}.",
                $"A {size} {loc} pneumothorax is present on the {side}{extra}.",
                $"Visible {side} {loc} pleural line with a {size} pneumothorax{extra}."));
            impression.Add(Pick(ref rng, $"{Cap(size)} {side} pneumothorax.", $"{Cap(side)} {loc} pneumothorax, {size}."));
        }
        else
        {
            findings.Add(Pick(ref rng, "No pneumothorax.", "There is no pneumothorax.", "No evidence of pneumothorax."));
            if (plan.Class == FindingClass.Normal)
                impression.Add(Pick(ref rng, "No acute cardiopulmonary abnormality.", "Normal chest radiograph.", "No acute findings."));
        }
        if (plan.Pneumothorax is null && plan.Class != FindingClass.Normal && rng.Chance(0.5)) impression.Add("No pneumothorax.");

        var sb = new StringBuilder();
        sb.Append("FINDINGS: ").AppendJoin(' ', findings).Append("\nIMPRESSION: ").AppendJoin(' ', impression);
        return sb.ToString();
    }

    private static string Side(BodySide side) => side == BodySide.Right ? "right" : "left";

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static string Pick(ref Rng rng, params string[] options) => options[rng.Next(options.Length)];
}
