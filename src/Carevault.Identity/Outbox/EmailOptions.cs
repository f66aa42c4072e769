using System.Globalization;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;

namespace Carevault.Identity.Outbox;

/// <summary>
/// Email settings. SMTP is used when <c>Email:Smtp:Host</c> is set (<c>Port</c> 25, <c>EnableSsl</c>, <c>Username</c>,
/// <c>Password</c> — a secret, from the environment — <c>From</c>, <c>TimeoutSeconds</c> 30); otherwise each message
/// is written as a .eml file under <c>{DataDirectory}/outbox/</c> (development). The sender polls every
/// <c>Email:Outbox:PollIntervalSeconds</c> (5), <c>BatchSize</c> (20) messages at a time, and gives up after
/// <c>MaxAttempts</c> (10).
/// </summary>
public sealed record EmailOptions
{
    public required string From { get; init; }
    public string? SmtpHost { get; init; }
    public int SmtpPort { get; init; } = 25;
    public bool SmtpEnableSsl { get; init; }
    public string? SmtpUsername { get; init; }
    public string? SmtpPassword { get; init; }
    public TimeSpan SmtpTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public required string FileDirectory { get; init; }
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int BatchSize { get; init; } = 20;
    public int MaxAttempts { get; init; } = 10;

    public bool UsesSmtp => !string.IsNullOrWhiteSpace(SmtpHost);

    /// <summary>Reads the settings; throws <see cref="InvalidOperationException"/> naming the bad key.</summary>
    public static EmailOptions Read(IConfiguration configuration, StorageSettings storage)
    {
        var smtp = configuration.GetSection("Email:Smtp");
        var outbox = configuration.GetSection("Email:Outbox");
        var options = new EmailOptions
        {
            From = smtp["From"] is { Length: > 0 } from ? from : "carevault@localhost",
            SmtpHost = smtp["Host"],
            SmtpPort = ReadInt(smtp, "Port", 25, 1, 65_535, "Email:Smtp:Port"),
            SmtpEnableSsl = smtp.GetValue("EnableSsl", false),
            SmtpUsername = smtp["Username"] is { Length: > 0 } user ? user : null,
            SmtpPassword = smtp["Password"],
            SmtpTimeout = TimeSpan.FromSeconds(ReadInt(smtp, "TimeoutSeconds", 30, 1, 600, "Email:Smtp:TimeoutSeconds")),
            FileDirectory = Path.Combine(storage.DataDirectory, "outbox"),
            PollInterval = TimeSpan.FromSeconds(ReadSeconds(outbox, "PollIntervalSeconds", 5, "Email:Outbox:PollIntervalSeconds")),
            BatchSize = ReadInt(outbox, "BatchSize", 20, 1, 1000, "Email:Outbox:BatchSize"),
            MaxAttempts = ReadInt(outbox, "MaxAttempts", 10, 1, 100, "Email:Outbox:MaxAttempts"),
        };
        if (options.UsesSmtp && !System.Net.Mail.MailAddress.TryCreate(options.From, out _))
            throw new InvalidOperationException("Email:Smtp:From must be an email address.");
        return options;
    }

    static int ReadInt(IConfiguration section, string key, int fallback, int min, int max, string name)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
            throw new InvalidOperationException($"{name} must be a whole number from {min} to {max}.");
        return number;
    }

    static double ReadSeconds(IConfiguration section, string key, double fallback, string name)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0.05 || seconds > 3600)
            throw new InvalidOperationException($"{name} must be from 0.05 to 3600.");
        return seconds;
    }
}
