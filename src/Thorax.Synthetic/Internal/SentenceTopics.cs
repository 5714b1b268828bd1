using System.Text.RegularExpressions;

namespace Thorax.Synthetic.Internal;

/// <summary>What a report sentence talks about (a sentence may have several topics:
/// "No pneumothorax or pleural effusion." is <see cref="Pneumothorax"/> and <see cref="Effusion"/>).</summary>
[Flags]
internal enum SentenceTopic
{
    /// <summary>None of the topics below.</summary>
    None = 0,
    /// <summary>Pneumothorax, pleural air, pleural spaces.</summary>
    Pneumothorax = 1,
    /// <summary>Heart size, cardiac / cardiomediastinal silhouette.</summary>
    Heart = 2,
    /// <summary>Mediastinum, trachea (contradicted by a mediastinal shift).</summary>
    Mediastinum = 4,
    /// <summary>Pulmonary vasculature, hila, edema, congestion.</summary>
    Vascular = 8,
    /// <summary>Pleural effusion, pleural fluid, costophrenic angles.</summary>
    Effusion = 16,
    /// <summary>Lung parenchyma: "lungs are clear", consolidation, opacity, airspace disease, expansion.</summary>
    Lung = 32,
    /// <summary>Tubes, catheters, lines, pacemakers, wires, clips, sternotomy, ports, stents, hardware...</summary>
    Device = 64,
    /// <summary>Whole-study verdicts: "No acute cardiopulmonary abnormality.", "Normal chest."</summary>
    Global = 128,
    /// <summary>Bones, soft tissues, aorta, diaphragm, upper abdomen, technique, comparison.</summary>
    Distractor = 256,
}

/// <summary>Rule-based topic classification and abnormality screening of report sentences (regular expressions over
/// the lower-cased sentence; see each pattern). Used to keep real sentences that agree with a synthetic image.</summary>
internal static class SentenceTopics
{
    private const RegexOptions Opt = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled;

    /// <summary>A pneumothorax mention (also hydro-/hemopneumothorax, pleural air).</summary>
    public static readonly Regex PneumothoraxTerm = new(@"pneumothora\w*|pleural\s+air(?:\s+collection)?", Opt);

    private static readonly Regex PneumothoraxTopic = new(@"pneumothora|pleural\s+air|pleural\s+spaces?|\bpleura\b|hemithora", Opt);
    private static readonly Regex HeartTopic = new(@"\bheart\b|cardiac|cardio\s?-?mediastin|cardiomegaly|cardiothoracic|silhouette|pericard", Opt);
    private static readonly Regex MediastinumTopic = new(@"mediastin|trachea|midline|\bshift", Opt);
    private static readonly Regex VascularTopic = new(@"vascula|vessel|edema|congesti|cephaliz|kerley|interstiti|\bhila\b|hilar|hilum", Opt);
    private static readonly Regex EffusionTopic = new(@"effusion|pleural\s+(?:fluid|spaces?|thicken)|costophrenic|\bfluid\b|blunt", Opt);
    private static readonly Regex LungTopic = new(
        @"\blungs?\b|\bpulmonary\b(?!\s+vascul)|consolidat|opacit|air\s?space|infiltrat|pneumonia|atelecta|alveol|\bfocal\b|aerat|inflat|expan|parenchym|\blobes?\b|lingul|nodul|\bmass(?:es)?\b|granulom|scar|emphysem|copd|lucen|densit|tubercul", Opt);

    /// <summary>Support devices and post-surgical material (any mention, negated or not).</summary>
    public static readonly Regex DeviceTerm = new(
        @"\btubes?\b|catheter|\blines?\b|pacemaker|\bpacer|pacing|\bwires?\b|\bleads?\b|\bclips?\b|sternotom|\bports?\b|port-a|\bstents?\b|hardware|device|electrode|prosthe|valve|staple|suture|\bdrains?\b|\bicd\b|defibrillat|\bpicc\b|cabg|bypass|arthroplast|fixation|\bscrews?\b|\bplates?\b|\bcoils?\b|monitor|generator|cannula|endotrache|enteric|nasogastric|\bng\b|surgical|postoperative|post-operative|implant|marker|foreign\s+bod|\bshunt|\bfilter|emboliz|metallic|\bmetal\b|anchor|\bpins?\b|cerclage|\bsvc\b|cavoatrial", Opt);

    private static readonly Regex BodyDistractor = new(
        @"\bbon(?:e|es|y)\b|osseous|osseus|skelet|spine|spinal|vertebra|\bribs?\b|clavic|scapul|shoulder|humer|glenoid|soft\s+tissue|aort|diaphragm|abdomen|abdominal|intraperitoneal|free\s+air|thoracic\s+(?:inlet|cage)", Opt);

    private static readonly Regex TechniqueDistractor = new(
        @"\bviews?\b|\bimages?\b|radiograph|technique|portable|frontal|lateral\s+(?:view|film|projection|radiograph)|comparison|\bprior\b|examination|\bexam\b|shielded|\bfilms?\b", Opt);

    private static readonly Regex GlobalTopic = new(
        @"cardiopulmonary|cardiothoracic\s+abnormal|\bactive\s+disease|\bno\s+acute\b|acute\s+(?:disease|abnormalit|findings?|process|pulmonary|chest|radiographic|intrathoracic)|normal\s+chest|chest\s+is\s+normal|negative\s+(?:chest|study|exam|for\s+acute)|unremarkable\s+(?:chest|study|exam)|normal\s+(?:study|exam|radiograph)|appearance\s+of\s+the\s+chest|^\s*normal\.?\s*$|no\s+(?:significant\s+|acute\s+)?(?:disease|findings?|abnormalit)", Opt);

    /// <summary>Sentences about another body part (the corpus holds a few non-chest studies: "Left ankle.", bowel loops,
    /// contrast in the colon) or the end of the report; never kept.</summary>
    public static readonly Regex OffTopic = new(
        @"\bankles?\b|\bfoot\b|\bfeet\b|\bknees?\b|\belbows?\b|forearm|\bwrists?\b|\bhands?\b|\bhips?\b|pelvi|sacr|lumbar|lumbosacral|femur|tibia|fibula|skull|\bsinus|colon|bowel|intussuscept|quadrant|\bcontrast\b|gallbladder|kidney|renal|bladder|stomach|\bliver\b|end\s+of\s+report", Opt);

    /// <summary>Words that state an abnormality when not negated (any topic: lungs, heart, pleura, bones, aorta...).
    /// A sentence of a base report is kept only when each of these is negated (<see cref="NegationDetector"/>).</summary>
    public static readonly Regex AbnormalTerm = new(
        @"pneumothora\w*|effusion|consolidat\w*|opacit\w*|infiltrat\w*|pneumonia|edema|congesti\w*|cardiomegaly|enlarge\w*|atelecta\w*|nodul\w*|\bmass(?:es)?\b|granulom\w*|scar\w*|emphysem\w*|hyperinfl\w*|hyperexpan\w*|hypoinfl\w*|low\s+lung\s+volumes?|fractur\w*|degenerat\w*|osteophyt\w*|spondyl\w*|scolio\w*|kyphos\w*|tortu\w*|ectatic|ectasia|calcifi\w*|calcium|elevat\w*|thicken\w*|blunt\w*|air\s?space\s+disease|lesions?|deformit\w*|hernia|widen\w*|prominen\w*|increased|decreased|effac\w*|collapse\w*|lucen\w*|densit\w*|adenopath\w*|cavit\w*|fibros\w*|bronchiect\w*|healed|\bold\b|chronic|abnormal\w*|disease|mild\w*|minimal|slight\w*|borderline|upper\s+limits?\s+of\s+normal|\btiny\b|\btrace\b|\bsmall\b|\blarge\b|\bmoderate\w*|unfolded|hyperlucen\w*|cardiomediastinal\s+shift|\bshift\w*|obscur\w*|\bloss\b|haz[ey]\w*|markings|copd|sclero\w*|osteopen\w*|arthritis|arthropath\w*|cyst\w*|bulla\w*|blebs?|sublux\w*|dislocat\w*|\bconcerning\b|tubercul\w*\s+(?:scar|granulom)", Opt);

    /// <summary>Topics of <paramref name="sentence"/>. <see cref="SentenceTopic.Global"/> is not given to sentences about
    /// bones, soft tissues, aorta, diaphragm or abdomen ("Osseous structures are without acute abnormality."); technique
    /// words do not prevent it ("Normal chest exam." is global and a distractor).</summary>
    public static SentenceTopic Classify(string sentence)
    {
        var t = SentenceTopic.None;
        if (PneumothoraxTopic.IsMatch(sentence)) t |= SentenceTopic.Pneumothorax;
        if (HeartTopic.IsMatch(sentence)) t |= SentenceTopic.Heart;
        if (MediastinumTopic.IsMatch(sentence)) t |= SentenceTopic.Mediastinum;
        if (VascularTopic.IsMatch(sentence)) t |= SentenceTopic.Vascular;
        if (EffusionTopic.IsMatch(sentence)) t |= SentenceTopic.Effusion;
        if (LungTopic.IsMatch(sentence)) t |= SentenceTopic.Lung;
        if (DeviceTerm.IsMatch(sentence)) t |= SentenceTopic.Device;
        bool body = BodyDistractor.IsMatch(sentence);
        if (body || TechniqueDistractor.IsMatch(sentence)) t |= SentenceTopic.Distractor;
        if (!body && GlobalTopic.IsMatch(sentence)) t |= SentenceTopic.Global;
        return t;
    }

    /// <summary>True when <paramref name="sentence"/> states some abnormality: an <see cref="AbnormalTerm"/> mention that
    /// the <see cref="NegationDetector"/> does not find negated.</summary>
    public static bool AssertsAbnormality(string sentence) =>
        NegationDetector.Classify(sentence, AbnormalTerm) is MentionStatus.Asserted or MentionStatus.Uncertain;
}
