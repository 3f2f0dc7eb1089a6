namespace Warden.Sandbox.Internal;

/// <summary>Event counters of a session cgroup: forks refused at pids.max and OOM kills.</summary>
internal readonly record struct CgroupCounters(long PidsMaxEvents, long OomKills);
