namespace Carevault.Storage.Database;

/// <summary>
/// The engine a statement is written for. SQL is written once wherever the two engines agree; the migration scripts
/// are kept per dialect (Migrations/sqlite, Migrations/postgres) with the same version history.
/// </summary>
/// <remarks>
/// Transactions need no dialect switch: Microsoft.Data.Sqlite begins non-deferred transactions with
/// <c>BEGIN IMMEDIATE</c>, which takes the write lock up front so two writers queue on busy_timeout.
/// </remarks>
public sealed class SqlDialect
{
    public static readonly SqlDialect Sqlite = new("sqlite");
    public static readonly SqlDialect Postgres = new("postgres");

    SqlDialect(string name) => Name = name;

    /// <summary>Folder name of this dialect's migration scripts.</summary>
    public string Name { get; }

    public override string ToString() => Name;
}
