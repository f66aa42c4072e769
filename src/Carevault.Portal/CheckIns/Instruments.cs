using System.Text.Json.Nodes;

namespace Carevault.Portal.CheckIns;

/// <summary>A severity band of a questionnaire's total score (inclusive bounds) with its self-care suggestions.</summary>
public sealed record Band(string Name, int Low, int High, IReadOnlyList<string> SelfCare);

/// <summary>One question: its LOINC code (also the linkId) and its published text.</summary>
public sealed record Question(string Code, string Text);

/// <summary>
/// A validated questionnaire: the published item texts, the four answers scored 0–3, the LOINC codes of the panel,
/// items and total score, and the published severity bands (PHQ-9: Kroenke, Spitzer and Williams 2001; GAD-7:
/// Spitzer, Kroenke, Williams and Löwe 2006; both free to reproduce).
/// </summary>
public sealed record Instrument
{
    public required string Key { get; init; }
    public required string Title { get; init; }
    public required string PanelCode { get; init; }
    public required string TotalCode { get; init; }
    public required string Stem { get; init; }
    public required IReadOnlyList<Question> Questions { get; init; }
    public required IReadOnlyList<Band> Bands { get; init; }

    /// <summary>The canonical url of the tenant's Questionnaire resource for this instrument.</summary>
    public string Url => "urn:carevault:questionnaire:" + Key;

    public int MaxScore => Questions.Count * 3;

    /// <summary>The total of the answers; each must be 0–3 and every question answered.</summary>
    public int Score(IReadOnlyList<int> answers)
    {
        if (answers.Count != Questions.Count) throw new ArgumentException($"{Title} has {Questions.Count} questions; {answers.Count} answers were given.", nameof(answers));
        var total = 0;
        foreach (var answer in answers)
        {
            if (answer is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(answers), answer, "Each answer is scored 0 to 3.");
            total += answer;
        }
        return total;
    }

    /// <summary>The band a total falls in.</summary>
    public Band BandOf(int total)
    {
        foreach (var band in Bands)
            if (total >= band.Low && total <= band.High) return band;
        throw new ArgumentOutOfRangeException(nameof(total), total, $"A {Title} total is 0 to {MaxScore}.");
    }

    /// <summary>The FHIR R4 Questionnaire for this instrument.</summary>
    public JsonObject ToQuestionnaire()
    {
        var items = new JsonArray();
        foreach (var question in Questions)
        {
            var options = new JsonArray();
            foreach (var (code, display, score) in Answers)
            {
                options.Add(new JsonObject
                {
                    ["valueCoding"] = new JsonObject { ["system"] = "http://loinc.org", ["code"] = code, ["display"] = display },
                    ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://hl7.org/fhir/StructureDefinition/ordinalValue", ["valueDecimal"] = score }),
                });
            }
            items.Add(new JsonObject
            {
                ["linkId"] = question.Code,
                ["code"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = question.Code }),
                ["text"] = question.Text,
                ["type"] = "choice",
                ["required"] = true,
                ["answerOption"] = options,
            });
        }
        items.Add(new JsonObject
        {
            ["linkId"] = TotalCode,
            ["code"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = TotalCode }),
            ["text"] = "Total score",
            ["type"] = "integer",
            ["readOnly"] = true,
        });
        return new JsonObject
        {
            ["resourceType"] = "Questionnaire",
            ["url"] = Url,
            ["name"] = Key.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant(),
            ["title"] = Title,
            ["status"] = "active",
            ["subjectType"] = new JsonArray("Patient"),
            ["code"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = PanelCode }),
            ["description"] = Stem,
            ["item"] = new JsonArray(new JsonObject { ["linkId"] = "questions", ["type"] = "group", ["text"] = Stem, ["item"] = items }),
        };
    }

    /// <summary>The answer list of both instruments (LOINC LL358-3), with the score of each answer.</summary>
    public static readonly IReadOnlyList<(string Code, string Display, int Score)> Answers =
    [
        ("LA6568-5", "Not at all", 0),
        ("LA6569-3", "Several days", 1),
        ("LA6570-1", "More than half the days", 2),
        ("LA6571-9", "Nearly every day", 3),
    ];

    public static readonly Instrument Phq9 = new()
    {
        Key = "phq-9",
        Title = "PHQ-9",
        PanelCode = "44249-1",
        TotalCode = "44261-6",
        Stem = "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        Questions =
        [
            new("44250-9", "Little interest or pleasure in doing things"),
            new("44255-8", "Feeling down, depressed, or hopeless"),
            new("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
            new("44254-1", "Feeling tired or having little energy"),
            new("44251-7", "Poor appetite or overeating"),
            new("44258-2", "Feeling bad about yourself — or that you are a failure or have let yourself or your family down"),
            new("44252-5", "Trouble concentrating on things, such as reading the newspaper or watching television"),
            new("44253-3", "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual"),
            new("44260-8", "Thoughts that you would be better off dead or of hurting yourself in some way"),
        ],
        Bands =
        [
            new("Minimal", 0, 4, ["Keep up what helps you: regular sleep, meals and time outdoors.", "Check in again in a few weeks, or sooner if things change."]),
            new("Mild", 5, 9, ["Plan one small, enjoyable activity each day and notice how you feel afterwards.", "Keep regular sleep and wake times, and move your body for 20–30 minutes most days.", "Talk to someone you trust about how you have been feeling."]),
            new("Moderate", 10, 14, ["Book an appointment with your doctor to talk about these feelings.", "Break tasks into small steps and keep a simple daily routine.", "Stay in touch with people you trust, even briefly."]),
            new("Moderately severe", 15, 19, ["Please contact your doctor soon; treatment helps and they can support you.", "Tell someone close to you how you are feeling.", "Avoid alcohol and drugs, which can make low mood worse."]),
            new("Severe", 20, 27, ["Please contact your doctor today, or an urgent care service if you cannot reach them.", "Let someone close to you know you are struggling and ask them to stay in touch.", "If you feel unsafe, call your local emergency number now."]),
        ],
    };

    public static readonly Instrument Gad7 = new()
    {
        Key = "gad-7",
        Title = "GAD-7",
        PanelCode = "69737-5",
        TotalCode = "70274-6",
        Stem = "Over the last 2 weeks, how often have you been bothered by the following problems?",
        Questions =
        [
            new("69725-0", "Feeling nervous, anxious or on edge"),
            new("68509-9", "Not being able to stop or control worrying"),
            new("69733-4", "Worrying too much about different things"),
            new("69734-2", "Trouble relaxing"),
            new("69735-9", "Being so restless that it is hard to sit still"),
            new("69689-8", "Becoming easily annoyed or irritable"),
            new("69736-7", "Feeling afraid as if something awful might happen"),
        ],
        Bands =
        [
            new("Minimal", 0, 4, ["Keep up what helps you stay calm: regular sleep, activity and time with others.", "Check in again in a few weeks, or sooner if things change."]),
            new("Mild", 5, 9, ["Try slow breathing: in for 4 seconds, out for 6, for a few minutes when you feel tense.", "Limit caffeine and keep regular sleep times.", "Set aside a short 'worry time' each day and let worries wait until then."]),
            new("Moderate", 10, 14, ["Book an appointment with your doctor to talk about your anxiety.", "Regular physical activity and breathing exercises can ease symptoms.", "Talk to someone you trust about what is worrying you."]),
            new("Severe", 15, 21, ["Please contact your doctor soon; effective treatments are available.", "Let someone close to you know how you are feeling.", "If you feel unsafe or overwhelmed, contact an urgent care service or your local emergency number."]),
        ],
    };

    public static readonly IReadOnlyList<Instrument> All = [Phq9, Gad7];

    public static Instrument? Find(string? key) => All.FirstOrDefault(i => i.Key == key);
}
