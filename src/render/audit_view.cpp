#include "render/audit_view.hpp"

#include <array>

#include "core/text/duration.hpp"
#include "render/audit_live_view.hpp"

namespace kt::render {

namespace {

std::string keepalive_line(const EffectiveKeepalive& k) {
    if (!k.enabled) return k.source == "off" ? "TCP keepalive off" : "TCP keepalive off (" + k.source + ")";
    std::string s = "TCP keepalive idle " + std::to_string(k.idle_seconds) + " s, interval " +
                    std::to_string(k.interval_seconds) + " s, " + std::to_string(k.count) + " probes (" + k.source +
                    "): a dead peer is noticed after " + format_duration_s(audit_detail::detection_seconds(k));
    if (k.user_timeout_ms) s += ", tcp-ut " + format_duration_ms(*k.user_timeout_ms);
    return s;
}

std::string indent(const std::string& text, const std::string& by) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        out += by + text.substr(pos, eol - pos) + "\n";
        pos = eol + 1;
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

}  // namespace

std::string audit_text(const std::vector<AuditReport>& reports, Severity fail_on, const LiveSections& live) {
    std::string out;
    std::size_t total = 0, failing = 0;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        out += std::string(config_type_name(r.type)) + " configuration " + r.files.front();
        if (r.files.size() > 1) out += " (and " + std::to_string(r.files.size() - 1) + " included files)";
        for (const auto& n : r.notes) out += "\nnote: " + n;
        out += "\nnetns defaults: idle " + std::to_string(r.netns.idle_seconds) + " s, interval " +
               std::to_string(r.netns.interval_seconds) + " s, " + std::to_string(r.netns.count) + " probes (" +
               r.netns.source + ")\n\n";
        for (const auto& o : r.objects) {
            out += o.kind + " " + o.name + " (" + std::string(side_name(o.side)) + ")  " + o.at.file_line() + "\n";
            out += "    " + keepalive_line(o.tcp) + "\n";
            std::string settings;
            for (const auto& s : o.settings) settings += (settings.empty() ? "" : ", ") + s.name + " " + s.value;
            if (!settings.empty()) out += "    " + settings + "\n";
        }
        out += "\n";
        if (i < live.size() && live[i]) out += audit_live_text(*live[i]);
        for (const auto& f : r.findings) {
            ++total;
            if (f.severity >= fail_on) ++failing;
            out += upper(severity_name(f.severity)) + " " + f.rule + " " + f.at.file_line() + ": " + f.evidence + "\n";
            out += "    fix (" + f.fix_syntax + "):\n" + indent(f.fix, "        ");
        }
        if (r.findings.empty()) out += "no findings\n";
        out += "\n";
    }
    out += std::to_string(total) + (total == 1 ? " finding, " : " findings, ") + std::to_string(failing) + " at or above " +
           std::string(severity_name(fail_on)) + "\n";
    return out;
}

nlohmann::json audit_json(const std::vector<AuditReport>& reports, const NetworkPath& path, Severity fail_on,
                          const LiveSections& live) {
    nlohmann::json counts = nlohmann::json::object();
    for (auto s : {Severity::info, Severity::low, Severity::medium, Severity::high})
        counts[std::string(severity_name(s))] = 0;
    std::optional<Severity> worst;
    nlohmann::json configs = nlohmann::json::array();
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        nlohmann::json objects = nlohmann::json::array();
        for (const auto& o : r.objects) {
            nlohmann::json tcp = {{"enabled", o.tcp.enabled}, {"source", o.tcp.source}};
            if (o.tcp.enabled) {
                tcp["idle_seconds"] = o.tcp.idle_seconds;
                tcp["interval_seconds"] = o.tcp.interval_seconds;
                tcp["count"] = o.tcp.count;
                tcp["detection_seconds"] = audit_detail::detection_seconds(o.tcp);
            }
            if (o.tcp.user_timeout_ms) tcp["user_timeout_ms"] = *o.tcp.user_timeout_ms;
            nlohmann::json settings = nlohmann::json::object();
            for (const auto& s : o.settings) settings[s.name] = s.value;
            objects.push_back({{"kind", o.kind},
                               {"name", o.name},
                               {"at", o.at.file_line()},
                               {"side", std::string(side_name(o.side))},
                               {"tcp_keepalive", tcp},
                               {"settings", settings}});
        }
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& f : r.findings) {
            counts[std::string(severity_name(f.severity))] = counts[std::string(severity_name(f.severity))].get<int>() + 1;
            if (!worst || f.severity > *worst) worst = f.severity;
            findings.push_back({{"rule", f.rule},
                                {"severity", std::string(severity_name(f.severity))},
                                {"at", f.at.file_line()},
                                {"file", f.at.file},
                                {"line", f.at.line},
                                {"evidence", f.evidence},
                                {"fix", {{"syntax", f.fix_syntax}, {"text", f.fix}}}});
        }
        configs.push_back({{"file", r.files.front()},
                           {"type", std::string(config_type_name(r.type))},
                           {"files", r.files},
                           {"notes", r.notes},
                           {"netns",
                            {{"idle_seconds", r.netns.idle_seconds},
                             {"interval_seconds", r.netns.interval_seconds},
                             {"count", r.netns.count},
                             {"source", r.netns.source}}},
                           {"objects", objects},
                           {"findings", findings}});
        if (i < live.size() && live[i]) configs.back()["process"] = audit_live_json(*live[i]);
    }
    nlohmann::json hops = nlohmann::json::array();
    for (const auto& h : path)
        hops.push_back({{"name", h.name},
                        {"idle_timeout_ms", h.idle_timeout_ms},
                        {"refreshed_by_keepalive", h.refreshed_by_keepalive}});
    return {{"schema", "keepalive-tune.audit.v1"},
            {"fail_on", std::string(severity_name(fail_on))},
            {"worst_severity", worst ? nlohmann::json(std::string(severity_name(*worst))) : nlohmann::json(nullptr)},
            {"counts", counts},
            {"path", hops},
            {"configs", configs}};
}

}  // namespace kt::render
