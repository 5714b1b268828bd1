using Thorax.Data.Reports;

namespace Thorax.Pipelines.Contextual;

/// <summary>
/// A small built-in synonym table for the synonym-replacement augmentation when no table file is given (the authors'
/// RadLex-derived sheet is not redistributed). Laterality words are left out on purpose: a synonym must not change
/// which side the report names.
/// </summary>
public static class ContextualSynonyms
{
    /// <summary>The table.</summary>
    public static SynonymTable Default { get; } = new(new Dictionary<string, string[]>
    {
        ["pneumothorax"] = ["PTX", "collapsed lung"],
        ["small"] = ["tiny", "minimal"],
        ["moderate"] = ["medium", "moderate-sized"],
        ["large"] = ["big", "sizable"],
        ["apical"] = ["apex", "upper"],
        ["basal"] = ["basilar", "lower"],
        ["lateral"] = ["peripheral", "sidewall"],
        ["chest"] = ["thorax"],
        ["lung"] = ["pulmonary"],
        ["heart"] = ["cardiac"],
        ["normal"] = ["unremarkable", "within normal limits"],
        ["visible"] = ["seen", "evident"],
        ["effusion"] = ["fluid"],
        ["pleural"] = ["pleural space"],
        ["no"] = ["without"],
    });
}
