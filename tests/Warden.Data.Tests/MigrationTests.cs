using Dapper;
using Warden.Data;
using Warden.Testing;

namespace Warden.Data.Tests;

public sealed class MigrationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_AppliesEveryMigrationOnceAndRecordsIt(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        var runner = new MigrationRunner(db.Connections);

        var first = await runner.MigrateAsync();
        var second = await runner.MigrateAsync();

        first.ShouldBe(MigrationRunner.Load(db.Target.Dialect).Select(m => m.Version).ToList());
        second.ShouldBeEmpty();
        (await runner.GetVersionAsync()).ShouldBe(MigrationRunner.LatestVersion(db.Target.Dialect));
        await using var c = await db.Connections.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations")).ShouldBe(first.Count);
        (await c.ExecuteScalarAsync<string>("SELECT checksum FROM schema_migrations WHERE version = 1")).ShouldBe(MigrationRunner.Load(db.Target.Dialect)[0].Checksum);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_RefusesADatabaseNewerThanItself(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        var runner = new MigrationRunner(db.Connections);
        await runner.MigrateAsync();
        await using (var c = await db.Connections.OpenAsync())
        {
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', 0)");
        }

        var error = await Should.ThrowAsync<SchemaTooNewException>(runner.MigrateAsync());

        error.DatabaseVersion.ShouldBe(9999);
        error.Message.ShouldContain("newer than this Warden");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_ThatFailsHalfwayLeavesTheDatabaseAsItWas(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        var real = MigrationRunner.Load(db.Target.Dialect);
        await new MigrationRunner(db.Connections).MigrateAsync();
        // The second statement fails after the first has created a table: the transaction must take both back.
        var broken = new Migration(real[^1].Version + 1, "broken", "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);", "x");

        await Should.ThrowAsync<System.Data.Common.DbException>(new MigrationRunner(db.Connections, [.. real, broken]).MigrateAsync());

        await using var c = await db.Connections.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")).ShouldBe(real[^1].Version);
        var tableExists = engine == "sqlite"
            ? await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'")
            : await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'half_done'");
        tableExists.ShouldBe(0);
    }

    [Fact]
    public void DatabaseTarget_ParsesPostgresAndSqliteAndNeverPrintsThePassword()
    {
        var pg = DatabaseTarget.Parse("postgres://alice:s3cret@db.internal:6543/warden");
        pg.Dialect.ShouldBe(SqlDialect.Postgres);
        pg.ConnectionString.ShouldContain("Port=6543");
        pg.Describe().ShouldBe("postgres://alice@db.internal:6543/warden");
        DatabaseTarget.Parse("Host=x;Username=u;Password=pw;Database=d").Describe().ShouldNotContain("pw");
        DatabaseTarget.Parse("data/warden.db").Dialect.ShouldBe(SqlDialect.Sqlite);
    }
}
