namespace Carevault.Mllp;

/// <summary>Settings of the MLLP listener; every limit has a test.</summary>
public sealed record MllpOptions
{
    /// <summary>Address to bind; loopback unless configured (a lab interface usually names its LAN address).</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 2575 is the port IANA registered for HL7 over MLLP. 0 picks a free port (tests).</summary>
    public int Port { get; init; } = 2575;

    /// <summary>PFX/PKCS#12 or PEM certificate file; when set, every connection is TLS.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM private key file, when <see cref="CertificatePath"/> is a PEM certificate without the key.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>Password of a PFX file.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>Largest message (between 0x0B and 0x1C 0x0D) accepted; beyond it the sender gets an AR and the connection is closed.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>A connection with no byte received for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Connections served at once; further ones are closed at once.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Time a TLS handshake may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
