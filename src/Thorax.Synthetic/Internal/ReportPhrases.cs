namespace Thorax.Synthetic.Internal;

/// <summary>Positive sentences for one study, phrased like the Indiana corpus' MeSH-tagged positives ("There is a small
/// right apical pneumothorax.", "Moderate sized right pneumothorax.", "Right-to-left mediastinal shift is present."),
/// several phrasings per statement chosen by the study's RNG. Every pneumothorax sentence names the side, the size and
/// the location and never the other side; a tension shift is a sentence of its own. Pneumonia is placed by lobe: the
/// right lung's middle zone is the right middle lobe, the left lung's is the lingula.</summary>
internal sealed class ReportPhrases(StudyPlan plan, RenderInfo info)
{
    /// <summary>A group of positive findings sentences and the topics of the real sentences it replaces.</summary>
    internal sealed record Group(SentenceTopic Topics, List<string> Sentences);

    private readonly PneumothoraxFinding? _ptx = plan.Pneumothorax;

    /// <summary>True when the study has a pneumothorax or is not <see cref="FindingClass.Normal"/>.</summary>
    public bool Abnormal => _ptx is not null || plan.Class != FindingClass.Normal;

    /// <summary>Topics of real sentences the study's findings contradict.</summary>
    public SentenceTopic Conflicts
    {
        get
        {
            var c = SentenceTopic.None;
            if (_ptx is not null)
            {
                c |= SentenceTopic.Pneumothorax | SentenceTopic.Lung | SentenceTopic.Global;
                if (_ptx.Tension) c |= SentenceTopic.Mediastinum;
            }
            if (plan.Class == FindingClass.HeartFailure)
            {
                c |= SentenceTopic.Heart | SentenceTopic.Vascular | SentenceTopic.Lung | SentenceTopic.Global;
                if (info.Effusion) c |= SentenceTopic.Effusion;
            }
            if (plan.Class == FindingClass.Pneumonia) c |= SentenceTopic.Lung | SentenceTopic.Global;
            return c;
        }
    }

    /// <summary>Positive findings groups; <paramref name="kept"/> are the real findings sentences that stay.</summary>
    public List<Group> FindingGroups(ref Rng rng, IEnumerable<string> kept)
    {
        var keptList = kept.ToList();
        var groups = new List<Group>();
        if (plan.Class == FindingClass.HeartFailure)
        {
            string degree = info.CardiothoracicRatio < 0.56 ? "mild" : info.CardiothoracicRatio < 0.62 ? "moderate" : "marked";
            string mildly = degree == "mild" ? "mildly" : degree == "moderate" ? "moderately" : "markedly";
            // One group in reading order (heart, vessels, pleura), placed where the base report first spoke of any of these.
            var hf = new Group(SentenceTopic.Heart | SentenceTopic.Vascular | SentenceTopic.Lung | SentenceTopic.Effusion, [Pick(ref rng,
                $"There is {degree} cardiomegaly.", $"The heart is {mildly} enlarged.", $"{Cap(degree)} cardiomegaly.",
                "The cardiac silhouette is enlarged.", "Cardiomegaly.")]);
            hf.Sentences.Add(Pick(ref rng,
                "There is pulmonary vascular congestion.", "Pulmonary vascular congestion with mild interstitial edema.",
                "There is cephalization of the pulmonary vasculature, consistent with vascular congestion.",
                "Increased interstitial markings consistent with pulmonary edema.",
                "Prominent pulmonary vasculature and interstitial edema."));
            if (info.Effusion)
                hf.Sentences.Add(Pick(ref rng,
                    "Small bilateral pleural effusions.", "There are small bilateral pleural effusions.",
                    "Blunting of the costophrenic angles bilaterally, consistent with small effusions."));
            else if (!keptList.Any(s => s.Contains("effusion", StringComparison.OrdinalIgnoreCase)))
                hf.Sentences.Add(Pick(ref rng, "No pleural effusion.", "No large pleural effusion."));
            groups.Add(hf);
        }
        if (plan.Class == FindingClass.Pneumonia)
        {
            var g = new Group(SentenceTopic.Lung, [PneumoniaFinding(ref rng)]);
            if (info.PneumoniaSide is { } ps && _ptx is null && rng.Chance(0.5)) g.Sentences.Add($"The {Side(Opposite(ps))} lung is clear.");
            groups.Add(g);
        }
        if (_ptx is { } f)
        {
            var g = new Group(SentenceTopic.Pneumothorax | SentenceTopic.Lung, [PneumothoraxFinding(ref rng, f)]);
            if (f.Tension)
                g.Sentences.Add(Pick(ref rng,
                    $"{Cap(Side(f.Side))}-to-{Side(Opposite(f.Side))} mediastinal shift is present.",
                    $"The mediastinum is shifted to the {Side(Opposite(f.Side))}.",
                    $"There is shift of the mediastinum and trachea to the {Side(Opposite(f.Side))}."));
            else if (rng.Chance(0.3))
                g.Sentences.Add("No significant mediastinal shift.");
            if (plan.Class == FindingClass.Normal && rng.Chance(0.5))
                g.Sentences.Add(Pick(ref rng, $"The {Side(Opposite(f.Side))} lung is clear.", $"{Cap(Side(Opposite(f.Side)))} lung is clear."));
            groups.Add(g);
        }
        return groups;
    }

    /// <summary>Device sentences (none without devices).</summary>
    public List<string> DeviceSentences(ref Rng rng)
    {
        var list = new List<string>();
        if ((plan.Devices & SupportDevices.ChestTube) != 0)
        {
            string side = Side(plan.ChestTubeSide);
            list.Add(Pick(ref rng, $"There is a {side} chest tube in place.", $"{Cap(side)}-sided chest tube is present.",
                $"{Cap(side)} pleural drainage catheter in place.", $"A {side} chest tube projects over the {side} hemithorax."));
        }
        if ((plan.Devices & SupportDevices.EcgLeads) != 0)
            list.Add(Pick(ref rng, "ECG leads overlie the chest.", "Cardiac monitoring leads are present.",
                "External monitoring wires project over the chest."));
        return list;
    }

    /// <summary>Positive impression items, most important first.</summary>
    public List<string> ImpressionItems(ref Rng rng)
    {
        var list = new List<string>();
        if (_ptx is { } f)
        {
            list.Add(PneumothoraxImpression(ref rng, f));
            if (f.Tension)
                list.Add(Pick(ref rng,
                    $"{Cap(Side(f.Side))}-to-{Side(Opposite(f.Side))} mediastinal shift, consistent with tension physiology.",
                    $"Mediastinal shift to the {Side(Opposite(f.Side))}, compatible with tension physiology."));
        }
        if (plan.Class == FindingClass.HeartFailure)
            list.Add(info.Effusion
                ? Pick(ref rng, "Cardiomegaly with pulmonary vascular congestion and small bilateral pleural effusions, consistent with congestive heart failure.",
                    "Findings consistent with congestive heart failure, with small bilateral effusions.")
                : Pick(ref rng, "Cardiomegaly with pulmonary vascular congestion, consistent with congestive heart failure.",
                    "Findings consistent with congestive heart failure.", "Cardiomegaly and mild pulmonary edema."));
        if (plan.Class == FindingClass.Pneumonia) list.Add(PneumoniaImpression(ref rng));
        if ((plan.Devices & SupportDevices.ChestTube) != 0 && rng.Chance(0.5))
            list.Add($"{Cap(Side(plan.ChestTubeSide))} chest tube in place.");
        if (_ptx is null && plan.Class != FindingClass.Normal && rng.Chance(0.3)) list.Add("No pneumothorax.");
        return list;
    }

    private static string PneumothoraxFinding(ref Rng rng, PneumothoraxFinding f)
    {
        string side = Side(f.Side), size = Size(ref rng, f.Size);
        string collapse = f.Size == PneumothoraxSize.Large && rng.Chance(0.6)
            ? Pick(ref rng, $" with partial collapse of the {side} lung", $", with retraction of the {side} lung toward the hilum") : "";
        return f.Location switch
        {
            PneumothoraxLocation.Apical => Pick(ref rng,
                $"There is a {size} {side} apical pneumothorax{collapse}.",
                $"{Cap(size)} {side} apical pneumothorax{collapse}.",
                $"There is a {size} {side}-sided pneumothorax at the {side} apex{collapse}.",
                $"A {size} pleural air collection is present at the {side} apex{collapse}."),
            PneumothoraxLocation.Lateral => Pick(ref rng,
                $"There is a {size} {side} pneumothorax along the lateral chest wall{collapse}.",
                $"{Cap(size)} {side}-sided pneumothorax with a visible visceral pleural edge along the {side} lateral chest wall{collapse}.",
                $"A {size} {side} lateral pneumothorax is present{collapse}."),
            _ => Pick(ref rng,
                $"There is a {size} {side} basilar pneumothorax{collapse}.",
                $"{Cap(size)} {side}-sided pneumothorax at the {side} lung base{collapse}.",
                $"A {size} pleural air collection is present at the {side} base{collapse}."),
        };
    }

    private static string PneumothoraxImpression(ref Rng rng, PneumothoraxFinding f)
    {
        string side = Side(f.Side), size = Size(ref rng, f.Size);
        string loc = f.Location switch
        {
            PneumothoraxLocation.Apical => "apical",
            PneumothoraxLocation.Lateral => "lateral",
            _ => "basilar",
        };
        return Pick(ref rng, $"{Cap(size)} {side} {loc} pneumothorax.", $"{Cap(size)} {side}-sided {loc} pneumothorax.");
    }

    private string PneumoniaFinding(ref Rng rng)
    {
        if (info.PneumoniaSide is not { } side)
            return Pick(ref rng, "There is focal airspace consolidation.", "Patchy airspace opacity is present.");
        var (lobe, zone) = Where(side);
        return Pick(ref rng,
            $"There is airspace consolidation in the {lobe}.",
            $"Focal airspace opacity in the {lobe}.",
            $"Patchy airspace disease in the {zone}.",
            $"{Cap(Adjective(lobe))} airspace opacity.");
    }

    private string PneumoniaImpression(ref Rng rng)
    {
        if (info.PneumoniaSide is not { } side)
            return Pick(ref rng, "Focal airspace disease, concerning for pneumonia.", "Findings consistent with pneumonia.");
        var (lobe, _) = Where(side);
        return Pick(ref rng, $"{Cap(Adjective(lobe))} pneumonia.", $"Airspace disease in the {lobe}, consistent with pneumonia.",
            $"Focal consolidation in the {lobe} concerning for pneumonia.");
    }

    /// <summary>Lobe ("right middle lobe", "lingula") and zone ("left mid lung zone") of the pneumonia.</summary>
    private (string Lobe, string Zone) Where(BodySide side)
    {
        string s = Side(side);
        return info.PneumoniaZone switch
        {
            "upper" => ($"{s} upper lobe", $"{s} upper lung zone"),
            "middle" => side == BodySide.Right ? ("right middle lobe", "right mid lung zone") : ("lingula", "left mid lung zone"),
            "lower" => ($"{s} lower lobe", $"{s} lower lung zone"),
            _ => ($"{s} lung", $"{s} lung"),
        };
    }

    private static string Adjective(string lobe) => lobe == "lingula" ? "lingular" : lobe;

    private static string Size(ref Rng rng, PneumothoraxSize size) => size switch
    {
        PneumothoraxSize.Small => "small",
        PneumothoraxSize.Moderate => Pick(ref rng, "moderate", "moderate-sized", "moderate sized"),
        _ => "large",
    };

    private static BodySide Opposite(BodySide s) => s == BodySide.Right ? BodySide.Left : BodySide.Right;

    private static string Side(BodySide side) => side == BodySide.Right ? "right" : "left";

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>One of <paramref name="options"/>, chosen by <paramref name="rng"/>.</summary>
    internal static string Pick(ref Rng rng, params string[] options) => options[rng.Next(options.Length)];
}
