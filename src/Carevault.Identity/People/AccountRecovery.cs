using Carevault.Identity.Outbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Identity.People;

public static class AccountRecovery
{
    /// <summary>Password reset by emailed link, the TOTP second factor, and the email outbox they send through.</summary>
    public static IServiceCollection AddCarevaultAccountRecovery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCarevaultEmailOutbox(configuration);
        services.AddSingleton(_ => PasswordResetOptions.From(configuration));
        services.AddSingleton<PasswordReset>();
        services.AddSingleton<Invitations>();
        services.AddSingleton<SecondFactor>();
        return services;
    }
}
