using Carevault.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Identity.Outbox;

public static class OutboxServices
{
    /// <summary>The email outbox, its background sender, and the sink: SMTP when <c>Email:Smtp:Host</c> is set, else .eml files.</summary>
    public static IServiceCollection AddCarevaultEmailOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp => EmailOptions.Read(configuration, sp.GetRequiredService<StorageSettings>()));
        services.AddSingleton<IEmailSink>(sp => sp.GetRequiredService<EmailOptions>() is { UsesSmtp: true } options
            ? new SmtpEmailSink(options)
            : new FileEmailSink(sp.GetRequiredService<EmailOptions>()));
        services.AddSingleton<EmailOutbox>();
        services.AddSingleton<OutboxSender>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxSender>());
        return services;
    }
}
