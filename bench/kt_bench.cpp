// kt_bench: keepalive-tune against ss(8) and the kernel floor, side by side in one run.
//
//   kt_bench [--quick | --full | --smoke | --engines N] [--runs N] [--tool PATH] [--floor PATH]
//   kt_bench --agent N [--agent-connections M] [--agent-health-seconds S]
//   kt_bench --trace S [--runs N]
//
// For each size it builds a population in a network namespace of its own, times every command
// alternately (median, spread, peak RSS), adds TIME_WAIT and times the TIME_WAIT commands
// within the 60 s they last, then removes everything. Then 10,000 sockets of one process are
// changed and verified by apply/verify. --engines N runs only the engine rows (exact values,
// apply and verify of every socket) on N established sockets. Prints Markdown (BENCHMARKS.md
// holds a run of it); --trace S times connection churn with and without trace running (S
// seconds a run);
// exits 1 if any command failed, 2 on a usage or setup error, 77 when not root.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "agent_bench.hpp"
#include "trace_bench.hpp"
#include "measure.hpp"
#include "population.hpp"

namespace kt::bench {
namespace {

struct Size {
    long established;
    long time_wait;
};

struct Options {
    std::string mode = "quick";
    std::vector<Size> sizes = {{10000, 2000}, {100000, 20000}};
    int runs = 5;
    long apply_sockets = 10000;
    std::string tool = KT_BENCH_TOOL;
    std::string floor = KT_BENCH_FLOOR;
    long agent_cgroups = 1000;
    long agent_connections = 100000;
    int agent_health_seconds = 30;
    int trace_seconds = 5;
};

std::string grouped(long n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

std::string fixed(double v, int decimals) {
    if (std::isnan(v)) return "FAILED";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

int g_failures = 0;
// CTest's SKIP_RETURN_CODE for the smoke run.
constexpr int k_exit_skipped = 77;

void print_table(const std::vector<Stats>& stats, const std::string& base) {
    const Stats* floor = nullptr;
    for (const auto& s : stats)
        if (s.label == base) floor = &s;
    std::printf("| command | median ms | min-max ms | peak RSS MiB | vs %s | runs |\n|---|---:|---:|---:|---:|---:|\n",
                base.c_str());
    for (const auto& s : stats) {
        if (s.failed()) {
            // No figure for a row whose runs failed: not a median of failures.
            std::printf("| `%s` | FAILED (%d of %d runs failed: %s) | | | | %d |\n", s.label.c_str(), s.failures, s.runs,
                        s.first_error.c_str(), s.runs);
            ++g_failures;
            std::fprintf(stderr, "kt_bench: %s failed: %s\n", s.label.c_str(), s.first_error.c_str());
            continue;
        }
        const std::string ratio = floor && floor->median_ms > 0 ? fixed(s.median_ms / floor->median_ms, 2) + "x" : "-";
        std::printf("| `%s` | %s | %s-%s | %s | %s | %d |\n", s.label.c_str(), fixed(s.median_ms, 1).c_str(),
                    fixed(s.min_ms, 1).c_str(), fixed(s.max_ms, 1).c_str(), fixed(s.peak_rss_mib, 1).c_str(), ratio.c_str(),
                    s.runs);
    }
    std::printf("\n");
}

// The larger of two figures, or NaN when either is (std::max drops a NaN in its second place).
double worst(double a, double b) { return std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN() : std::max(a, b); }

const Stats& find(const std::vector<Stats>& stats, const std::string& label) {
    for (const auto& s : stats)
        if (s.label == label) return s;
    std::fprintf(stderr, "kt_bench: no result for %s\n", label.c_str());
    std::exit(2);
}

// One target line: "faster" targets want a/b <= limit (a is ours), RSS targets want a <= limit.
void target(const std::string& what, double value, double limit, const std::string& unit, bool at_most) {
    if (std::isnan(value)) {
        std::printf("- %s: FAILED (a row it is computed from failed; target %s %s%s)\n", what.c_str(), at_most ? "<=" : ">=",
                    fixed(limit, 2).c_str(), unit.c_str());
        ++g_failures;
        return;
    }
    const bool met = at_most ? value <= limit : value >= limit;
    std::printf("- %s: %s%s (target %s %s%s): %s\n", what.c_str(), fixed(value, 2).c_str(), unit.c_str(),
                at_most ? "<=" : ">=", fixed(limit, 2).c_str(), unit.c_str(), met ? "met" : "MISSED");
}

// The medians of the BPF engine's passes alone, in ms (NaN: the row failed).
struct BpfFloors {
    double read = 0, owners = 0, apply = 0;
};

// The BPF engine's passes with nothing around them (kt_bench_bpf_floor), beside the sock_diag
// floor: what no apply, verify or inspect --exact through the iterator can go below. The apply
// pass writes both profiles' values in turn, unconditionally, so each run changes every socket.
BpfFloors bench_bpf_floors(const Options& o) {
    const std::string f = KT_BENCH_BPF_FLOOR;
    std::printf("\nThe BPF passes alone (a program per pass that does only that, loaded as keepalive-tune loads "
                "its own), beside the sock_diag floor:\n\n");
    const auto stats = run_alternating({{"floor (sock_diag dump)", {o.floor}, 0},
                                        {"bpf floor: read pass (options)", {f, "read"}, 0},
                                        {"bpf floor: task-file pass (owners)", {f, "owners"}, 0},
                                        {"bpf floor: apply pass (bench-a values)", {f, "apply", "3000", "30", "5"}, 0},
                                        {"bpf floor: apply pass (bench-b values)", {f, "apply", "3100", "31", "6"}, 0}},
                                       o.runs, false);
    print_table(stats, "floor (sock_diag dump)");
    const double read = find(stats, "bpf floor: read pass (options)").median_ms;
    const double owners = find(stats, "bpf floor: task-file pass (owners)").median_ms;
    const double apply = worst(find(stats, "bpf floor: apply pass (bench-a values)").median_ms,
                                  find(stats, "bpf floor: apply pass (bench-b values)").median_ms);
    std::printf("- BPF read pass / sock_diag floor: %sx\n",
                fixed(read / find(stats, "floor (sock_diag dump)").median_ms, 2).c_str());
    // apply and verify of a process target each find the processes' sockets (a task-file
    // pass); apply then runs an apply pass, verify a read pass.
    std::printf("- floor of apply of a process target (task-file + apply pass): %s ms\n", fixed(owners + apply, 1).c_str());
    std::printf("- floor of apply + verify of a process target (task-file + apply pass, task-file + read pass): %s ms\n",
                fixed(2 * owners + apply + read, 1).c_str());
    return {read, owners, apply};
}

// Peak RSS allowed to apply and to verify: 40 MiB at 100k sockets, 150 MiB at 500k, and in
// proportion between (NaN: no target at this size).
double rss_limit_mib(long sockets) {
    if (sockets <= 100000) return 40;
    if (sockets > 500000) return std::numeric_limits<double>::quiet_NaN();
    return 40 + (150.0 - 40) * static_cast<double>(sockets - 100000) / 400000;
}

// The engines on every socket of the population: exact values read, and a profile applied
// and verified, through the BPF socket iterator and through pidfd_getfd, on the population's
// workers (by pid). The profiles' idle times are long:
// probes of a whole population falling due together overflow loopback's backlog, and the
// connections they go unanswered on are aborted.
void bench_engines(const Options& o, const Size& size, const Population& pop) {
    const std::string& t = o.tool;
    // The population's workers by pid: `--comm kt_bench` would miss them (and find others)
    // when the benchmark runs under another name.
    std::vector<std::string> workers;
    for (pid_t w : pop.workers()) workers.insert(workers.end(), {"--pid", std::to_string(w)});
    auto with_workers = [&](std::vector<std::string> argv) {
        argv.insert(argv.end(), workers.begin(), workers.end());
        return argv;
    };
    std::printf("Exact values and apply/verify of every socket, by engine (two profiles applied in turn, so every "
                "apply changes every socket):\n\n");
    char dir_template[] = "/tmp/kt-bench-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    const std::string a = dir + "/bench-a.json", b = dir + "/bench-b.json";
    std::ofstream(a) << "{\"name\": \"bench-a\", \"summary\": \"b\", \"description\": \"b\", \"keepalive\": "
                        "{\"enabled\": true, \"idle_seconds\": 3000, \"interval_seconds\": 30, \"count\": 5}}\n";
    std::ofstream(b) << "{\"name\": \"bench-b\", \"summary\": \"b\", \"description\": \"b\", \"keepalive\": "
                        "{\"enabled\": true, \"idle_seconds\": 3100, \"interval_seconds\": 31, \"count\": 6}}\n";
    const int pidfd_runs = size.established >= 200000 ? 3 : 0;
    std::vector<Command> engine_commands = {
        {"keepalive-tune inspect", {t, "inspect"}, 0},
        {"keepalive-tune inspect --exact --engine pidfd", {t, "inspect", "--exact", "--engine", "pidfd"}, pidfd_runs},
        {"keepalive-tune inspect -p", {t, "inspect", "-p"}, 0},
        {"apply bench-a (pidfd)", with_workers({t, "apply", a, "--engine", "pidfd"}), pidfd_runs},
        {"apply bench-b (pidfd)", with_workers({t, "apply", b, "--engine", "pidfd"}), pidfd_runs},
    };
    // A build without the BPF engine has only the pidfd rows.
    if (KT_BENCH_BPF)
        engine_commands.insert(engine_commands.begin() + 1,
                               {{"keepalive-tune inspect --exact (bpf)", {t, "inspect", "--exact", "--engine", "bpf"}, 0},
                                {"apply bench-a (bpf)", with_workers({t, "apply", a, "--engine", "bpf"}), 0},
                                {"verify bench-a (bpf)", with_workers({t, "verify", a, "--engine", "bpf"}), 0},
                                {"apply bench-b (bpf)", with_workers({t, "apply", b, "--engine", "bpf"}), 0},
                                {"verify bench-b (bpf)", with_workers({t, "verify", b, "--engine", "bpf"}), 0}});
    // In order: each verify checks the apply just before it.
    const auto engine_stats = run_alternating(engine_commands, o.runs, false);
    print_table(engine_stats, "keepalive-tune inspect");
    std::system(("rm -rf " + dir).c_str());

    std::printf("Targets of the engines:\n\n");
    const double plain = find(engine_stats, "keepalive-tune inspect").median_ms;
    target("inspect -p / inspect", find(engine_stats, "keepalive-tune inspect -p").median_ms / plain, 2, "x", true);
    if (!KT_BENCH_BPF) {
        std::printf("\n");
        return;
    }
    target("inspect --exact (bpf) / inspect", find(engine_stats, "keepalive-tune inspect --exact (bpf)").median_ms / plain,
           1.5, "x", true);
    const double apply_alone = worst(find(engine_stats, "apply bench-a (bpf)").median_ms,
                                        find(engine_stats, "apply bench-b (bpf)").median_ms);
    const double bpf_cycle = worst(find(engine_stats, "apply bench-a (bpf)").median_ms + find(engine_stats, "verify bench-a (bpf)").median_ms,
                                      find(engine_stats, "apply bench-b (bpf)").median_ms + find(engine_stats, "verify bench-b (bpf)").median_ms);
    double peak_rss = 0;
    for (const char* row : {"apply bench-a (bpf)", "verify bench-a (bpf)", "apply bench-b (bpf)", "verify bench-b (bpf)"})
        peak_rss = worst(peak_rss, find(engine_stats, row).failed() ? std::numeric_limits<double>::quiet_NaN()
                                                                     : find(engine_stats, row).peak_rss_mib);
    const long sockets = pop.sockets_in_use();
    std::printf("- apply and verify (bpf): %s ms and %s ms per 1,000 sockets, peak RSS %s bytes per socket\n",
                fixed(apply_alone * 1000 / static_cast<double>(sockets), 2).c_str(),
                fixed((bpf_cycle - apply_alone) * 1000 / static_cast<double>(sockets), 2).c_str(),
                fixed(peak_rss * 1048576 / static_cast<double>(sockets), 0).c_str());
    if (const double limit = rss_limit_mib(size.established); !std::isnan(limit))
        target("peak RSS of apply and verify (bpf)", peak_rss, limit, " MiB", true);
    const BpfFloors floors = bench_bpf_floors(o);
    // Ratios to the passes of the same run: a machine's speed divides out.
    std::printf("Targets against the floor of the same run:\n\n");
    target("apply (bpf) / its floor (task-file + apply pass)", apply_alone / (floors.owners + floors.apply), 1.3, "x", true);
    target("apply + verify (bpf) / their floor (two task-file passes, an apply and a read pass)",
           bpf_cycle / (2 * floors.owners + floors.apply + floors.read), 1.3, "x", true);
    std::printf("\n");
}

void bench_size(const Options& o, const Size& size, int index) {
    Population pop("kt-bench-" + std::to_string(getpid()) + "-" + std::to_string(index));
    const long est = pop.add_established(size.established, 4);
    std::printf("## %s established sockets\n\n", grouped(est).c_str());
    std::printf("Population: %s established sockets (both ends of %s loopback connections, every 4th client with "
                "keepalive on) in %ld processes, netns %s; sockstat inuse %ld.\n\n",
                grouped(est).c_str(), grouped(est / 2).c_str(), (est / 2 + 8999) / 9000, pop.netns().c_str(),
                pop.sockets_in_use());
    // ss -tanp grows with the square of the socket count: fewer runs at the large sizes.
    const int slow = size.established >= 200000 ? 3 : 0;
    const std::string& t = o.tool;
    std::vector<Command> commands = {
        {"floor", {o.floor}, 0},
        {"keepalive-tune inspect --summary", {t, "inspect", "--summary"}, 0},
        {"keepalive-tune inspect", {t, "inspect"}, 0},
        {"keepalive-tune inspect --json", {t, "--json", "inspect"}, 0},
        {"keepalive-tune inspect -p", {t, "inspect", "-p"}, 0},
        {"ss -s", {"/usr/bin/ss", "-s"}, 0},
        {"ss -tan", {"/usr/bin/ss", "-tan"}, 0},
        {"ss -tano", {"/usr/bin/ss", "-tano"}, 0},
        {"ss -tanp", {"/usr/bin/ss", "-tanp"}, slow},
    };
    const auto stats = run_alternating(commands, o.runs);
    print_table(stats, "floor");

    // Idle times and verdicts need tcp_info, which makes the kernel's walk itself dearer:
    // their floor asks for it too (health reads them from the BPF iterator where it loads, and
    // from tcp_info with --engine pidfd). Against a path whose timeout (432000 s) the population
    // cannot reach while the benchmark runs, every connection is ok, so health finds nothing
    // to look up owners for: the cost of judging alone. (Owners cost what inspect -p costs.)
    std::printf("With tcp_info (INET_DIAG_INFO), against a floor that asks for it too:\n\n");
    std::vector<Command> info_commands = {
        {"floor", {o.floor}, 0},
        {"floor with tcp_info", {o.floor, "-i"}, 0},
        {"keepalive-tune inspect --idle", {t, "inspect", "--idle"}, 0},
        {"keepalive-tune health --path linux-conntrack", {t, "health", "--path", "linux-conntrack"}, 0},
        {"keepalive-tune health --engine pidfd --path linux-conntrack",
         {t, "health", "--engine", "pidfd", "--path", "linux-conntrack"}, 0},
        {"keepalive-tune health --json --path linux-conntrack", {t, "--json", "health", "--path", "linux-conntrack"}, 0},
        {"ss -tani", {"/usr/bin/ss", "-tani"}, slow},
    };
    const auto info_stats = run_alternating(info_commands, o.runs);
    print_table(info_stats, "floor with tcp_info");

    bench_engines(o, size, pop);

    const long tw = pop.add_time_wait(size.time_wait);
    std::printf("With %s TIME_WAIT added (sockstat tw, right after creation; they last 60 s, and every run below "
                "finished within that time):\n\n",
                grouped(tw).c_str());
    const std::string pipeline = "/usr/bin/ss -tan state time-wait | awk 'NR > 1 {print $4}' | sort | uniq -c | sort -rn";
    std::vector<Command> tw_commands = {
        {"floor", {o.floor}, 0},
        {"floor, TIME_WAIT only", {o.floor, "0x40"}, 0},
        {"keepalive-tune timewait", {t, "timewait"}, 0},
        {"keepalive-tune inspect --summary", {t, "inspect", "--summary"}, 0},
        shell("ss pipeline", pipeline),
    };
    const auto tw_stats = run_alternating(tw_commands, o.runs);
    const long tw_after = pop.time_wait_now();
    print_table(tw_stats, "floor");
    std::printf("ss pipeline: `%s`. TIME_WAIT left after the runs: %s.\n\n", pipeline.c_str(), grouped(tw_after).c_str());

    std::printf("Targets (set for 500k sockets):\n\n");
    const auto& floor = find(stats, "floor");
    target("inspect --summary / floor", find(stats, "keepalive-tune inspect --summary").median_ms / floor.median_ms, 1.2, "x", true);
    target("timewait / floor (with TIME_WAIT)",
           find(tw_stats, "keepalive-tune timewait").median_ms / find(tw_stats, "floor").median_ms, 1.2, "x", true);
    target("ss -tan / inspect table", find(stats, "ss -tan").median_ms / find(stats, "keepalive-tune inspect").median_ms, 2.5,
           "x", false);
    target("ss -tanp / inspect -p", find(stats, "ss -tanp").median_ms / find(stats, "keepalive-tune inspect -p").median_ms,
           20, "x", false);
    target("ss pipeline / timewait",
           find(tw_stats, "ss pipeline").median_ms / find(tw_stats, "keepalive-tune timewait").median_ms, 3, "x", false);
    std::printf("  (bound: ss pipeline / TIME_WAIT-only floor = %sx, the most any reader of these sockets could reach)\n",
                fixed(find(tw_stats, "ss pipeline").median_ms / find(tw_stats, "floor, TIME_WAIT only").median_ms, 2).c_str());
    const auto& info_floor = find(info_stats, "floor with tcp_info");
    target("health / floor with tcp_info",
           find(info_stats, "keepalive-tune health --path linux-conntrack").median_ms / info_floor.median_ms, 1.3, "x", true);
    target("inspect --idle / floor with tcp_info",
           find(info_stats, "keepalive-tune inspect --idle").median_ms / info_floor.median_ms, 1.3, "x", true);
    target("peak RSS of health", find(info_stats, "keepalive-tune health --path linux-conntrack").peak_rss_mib, 32, " MiB", true);
    target("peak RSS of inspect --summary", find(stats, "keepalive-tune inspect --summary").peak_rss_mib, 16, " MiB", true);
    target("peak RSS of timewait", find(tw_stats, "keepalive-tune timewait").peak_rss_mib, 16, " MiB", true);
    std::printf("\n");
}

// --engines N: only the engine rows, on a population of N established sockets.
void bench_engines_only(const Options& o, const Size& size) {
    Population pop("kt-bench-" + std::to_string(getpid()) + "-engines");
    const long est = pop.add_established(size.established, 4);
    std::printf("## %s established sockets\n\nPopulation: %s established sockets in %ld processes, netns %s; sockstat "
                "inuse %ld.\n\n",
                grouped(est).c_str(), grouped(est).c_str(), (est / 2 + 8999) / 9000, pop.netns().c_str(),
                pop.sockets_in_use());
    bench_engines(o, size, pop);
}

void bench_apply(const Options& o) {
    Population pop("kt-bench-" + std::to_string(getpid()) + "-apply");
    const pid_t holder = pop.add_single_holder(o.apply_sockets / 2);
    char dir_template[] = "/tmp/kt-bench-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    // Two profiles, applied in turn, so that every apply changes every socket.
    for (const auto& [name, values] : std::map<std::string, std::string>{{"bench-a", "300, \"interval_seconds\": 30, \"count\": 5"},
                                                                         {"bench-b", "310, \"interval_seconds\": 31, \"count\": 6"}}) {
        std::ofstream(dir + "/" + name + ".json")
            << "{\"name\": \"" << name << "\", \"summary\": \"benchmark\", \"description\": \"benchmark\", "
            << "\"keepalive\": {\"enabled\": true, \"idle_seconds\": " << values << "}}\n";
    }
    const std::string pid = std::to_string(holder);
    std::vector<Command> commands;
    for (const char* name : {"bench-a", "bench-b"}) {
        const std::string path = dir + "/" + name + ".json";
        commands.push_back({std::string("apply ") + name, {o.tool, "apply", path, "--pid", pid}, 0});
        commands.push_back({std::string("verify ") + name, {o.tool, "verify", path, "--pid", pid}, 0});
    }
    std::printf("## apply and verify: %s sockets of one process\n\n", grouped(o.apply_sockets).c_str());
    // In order: each verify checks the apply just before it.
    const auto stats = run_alternating(commands, o.runs, false);
    print_table(stats, "apply bench-a");
    const double cycle = worst(find(stats, "apply bench-a").median_ms + find(stats, "verify bench-a").median_ms,
                               find(stats, "apply bench-b").median_ms + find(stats, "verify bench-b").median_ms);
    target("apply + verify of " + grouped(o.apply_sockets) + " sockets", cycle / 1000.0, 1.0, " s", true);
    std::printf("\n");
    std::system(("rm -rf " + dir).c_str());
}

void print_machine(const Options& o) {
    utsname u{};
    uname(&u);
    std::string cpu, ss_version;
    std::ifstream info("/proc/cpuinfo");
    for (std::string line; std::getline(info, line);)
        if (line.starts_with("model name")) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    if (FILE* p = popen("/usr/bin/ss -V 2>&1", "r")) {
        char buf[256];
        if (std::fgets(buf, sizeof buf, p)) ss_version = buf;
        pclose(p);
        if (!ss_version.empty() && ss_version.back() == '\n') ss_version.pop_back();
    }
    std::printf("# kt_bench --%s\n\nMachine: %s, %ld CPUs, kernel %s %s; %s; %d runs per command, alternating.\n\n",
                o.mode.c_str(), cpu.c_str(), sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, ss_version.c_str(), o.runs);
}

int usage() {
    std::fprintf(stderr, "usage: kt_bench [--quick | --full | --smoke | --engines N] [--runs N] [--tool PATH] [--floor PATH]\n"
                         "       kt_bench --agent CGROUPS [--agent-connections N] [--agent-health-seconds S]\n"
                         "       kt_bench --trace SECONDS [--runs N]\n"
                         "       kt_bench --populate ESTABLISHED TIME_WAIT   (hold a population until Enter)\n");
    return 2;
}

// Builds a population and holds it until a line (or EOF) on stdin, for measuring by hand with
// `ip netns exec NAME ...`; everything is removed on the way out.
int populate(long established, long time_wait) {
    if (geteuid() != 0) return k_exit_skipped;
    try {
        Population pop("kt-bench-" + std::to_string(getpid()));
        const long est = pop.add_established(established, 4);
        const long tw = time_wait > 0 ? pop.add_time_wait(time_wait) : 0;
        std::printf("netns %s: %ld established, %ld TIME_WAIT (for 60 s); press Enter to remove it\n", pop.netns().c_str(), est, tw);
        std::fflush(stdout);
        std::getchar();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kt_bench: error: %s\n", e.what());
        return 2;
    }
    return 0;
}

}  // namespace
}  // namespace kt::bench

int main(int argc, char** argv) {
    using namespace kt::bench;
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            o = Options{};
        } else if (a == "--full") {
            o.mode = "full";
            o.sizes = {{500000, 100000}};
        } else if (a == "--engines" && i + 1 < argc) {
            o.mode = "engines";
            o.sizes = {{std::atol(argv[++i]), 0}};
            if (o.sizes[0].established < 2 || o.sizes[0].established > 2000000) return usage();
        } else if (a == "--agent" && i + 1 < argc) {
            o.mode = "agent";
            o.agent_cgroups = std::atol(argv[++i]);
        } else if (a == "--agent-connections" && i + 1 < argc) {
            o.agent_connections = std::atol(argv[++i]);
        } else if (a == "--agent-health-seconds" && i + 1 < argc) {
            o.agent_health_seconds = std::atoi(argv[++i]);
        } else if (a == "--trace" && i + 1 < argc) {
            o.mode = "trace";
            o.trace_seconds = std::atoi(argv[++i]);
            if (o.trace_seconds < 1 || o.trace_seconds > 600) return usage();
        } else if (a == "--smoke") {
            o.mode = "smoke";
            o.sizes = {{1000, 200}};
            o.runs = 1;
            o.apply_sockets = 1000;
        } else if (a == "--populate" && i + 2 < argc) {
            return populate(std::atol(argv[i + 1]), std::atol(argv[i + 2]));
        } else if (a == "--runs" && i + 1 < argc) {
            o.runs = std::atoi(argv[++i]);
            if (o.runs < 1 || o.runs > 100) return usage();
        } else if (a == "--tool" && i + 1 < argc) {
            o.tool = argv[++i];
        } else if (a == "--floor" && i + 1 < argc) {
            o.floor = argv[++i];
        } else {
            return usage();
        }
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "kt_bench: skipped: needs root (it creates network namespaces)\n");
        return k_exit_skipped;
    }
    print_machine(o);
    try {
        int index = 0;
        if (o.mode == "agent") {
            g_failures += bench_agent(o.tool, o.agent_cgroups, o.agent_connections, o.agent_health_seconds);
        } else if (o.mode == "trace") {
            if (!KT_BENCH_BPF) {
                std::fprintf(stderr, "kt_bench: --trace needs the BPF engine (built with KT_BPF=OFF)\n");
                return 2;
            }
            g_failures += bench_trace(o.tool, o.trace_seconds, o.runs);
        } else if (o.mode == "engines") {
            bench_engines_only(o, o.sizes[0]);
        } else {
            for (const auto& size : o.sizes) bench_size(o, size, index++);
            bench_apply(o);
            // The smoke run keeps the trace rows working too, at a second a run.
            if (o.mode == "smoke" && KT_BENCH_BPF) g_failures += bench_trace(o.tool, 1, 1);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kt_bench: error: %s\n", e.what());
        return 2;
    }
    std::fflush(stdout);
    return g_failures ? 1 : 0;
}
