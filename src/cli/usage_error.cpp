#include "cli/usage_error.hpp"

#include "core/text/nearest.hpp"

namespace kt::cli {

namespace {
// The most deeply selected (sub)command: where the user was when the parse failed.
const CLI::App* deepest(const CLI::App& app) {
    const CLI::App* cur = &app;
    for (;;) {
        auto subs = cur->get_subcommands();
        if (subs.empty()) return cur;
        cur = subs.front();
    }
}

std::string command_path(const CLI::App* app) {
    std::string path;
    for (const CLI::App* a = app; a; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

// Long options usable at `app`: its own and, since subcommands fall through, its parents'.
std::vector<std::string> option_names(const CLI::App* app) {
    std::vector<std::string> names;
    for (const CLI::App* a = app; a; a = a->get_parent())
        for (const auto* opt : a->get_options())
            for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    return names;
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
    std::vector<std::string> names;
    for (const auto* sub : const_cast<CLI::App*>(app)->get_subcommands([](CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    return names;
}
}  // namespace

Error usage_error(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App* here = deepest(app);
    const std::string help = "; see `" + command_path(here) + " --help`";
    // Words the parser could not place explain most failures (a misspelt subcommand makes
    // "a subcommand is required" fire first), so they are looked at before the error's kind.
    auto extras = here->remaining(true);
    if (extras.empty()) extras = app.remaining(true);
    if (!extras.empty()) {
        const std::string& word = extras.front();
        if (word.starts_with("-")) {
            const std::string name = word.substr(0, word.find('='));
            return {name, "unknown option" + did_you_mean(name, option_names(here)) + help};
        }
        const auto subs = subcommand_names(here);
        if (!subs.empty()) return {word, "unknown command" + did_you_mean(word, subs) + help};
        return {word, "unexpected argument" + help};
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) && here->get_subcommands().empty() &&
        !subcommand_names(here).empty() && here->get_require_subcommand_min() > 0) {
        // At the top the program's name is already the line's prefix.
        const auto subs = subcommand_names(here);
        std::string list;
        for (const auto& s : subs) list += (list.empty() ? "" : ", ") + s;
        if (here == &app) return {"command", "none given; give one of " + list + help};
        return {command_path(here), "give a subcommand: " + list + help};
    }
    const std::string what = e.what();
    // CLI11 words these "NAME: MESSAGE"; our validators (number_option.hpp) write MESSAGE.
    const auto colon = what.find(": ");
    const std::string name = colon == std::string::npos ? std::string() : what.substr(0, colon);
    const std::string message = colon == std::string::npos ? what : what.substr(colon + 2);
    if (dynamic_cast<const CLI::ValidationError*>(&e) && !name.empty()) return {name, message + help};
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && !name.empty()) {
        if (message.find("missing") != std::string::npos) return {name, "needs a value" + help};
        if (message.starts_with("At Most"))
            return {name, "given more than once; it takes one value" + help};
    }
    // CLI11 says "Could not convert: --top = abc"; name the flag and the kind of value it takes.
    if (const std::string prefix = "Could not convert: "; what.starts_with(prefix)) {
        const auto eq = what.find(" = ", prefix.size());
        if (eq != std::string::npos) {
            const std::string option = what.substr(prefix.size(), eq - prefix.size());
            std::string kind = "a value of the right type";
            for (const CLI::App* a = here; a; a = a->get_parent())
                if (const auto* opt = a->get_option_no_throw(option); opt && !opt->get_type_name().empty()) {
                    const auto type = opt->get_type_name();
                    kind = type == "FLOAT" ? "a number" : type == "UINT" || type == "INT" ? "an integer" : type;
                    break;
                }
            return {option + " " + what.substr(eq + 3), "expected " + kind + help};
        }
    }
    return {command_path(here), what + help};
}

namespace {
std::optional<Error> empty_value_in(const CLI::App& app) {
    for (const CLI::Option* o : app.get_options()) {
        // Positionals are left to their commands: exec passes its program's arguments as given.
        if (o->get_items_expected_max() == 0 || o->count() == 0 || o->get_lnames().empty()) continue;
        const std::string name = "--" + o->get_lnames().front();
        for (const auto& v : o->results()) {
            if (v.empty())
                return Error{name, "empty value (an unset variable?); give one, or leave the option out; nothing was "
                                   "changed"};
            if (name == "--cgroup" && v.find_first_not_of("/.") == std::string::npos)
                return Error{name + " " + v, "is the cgroup2 root, every process on the host; name a cgroup below "
                                             "it; nothing was changed"};
        }
    }
    return std::nullopt;
}
}  // namespace

std::optional<Error> empty_value_error(const CLI::App& app) {
    for (const CLI::App* a = &app;;) {
        if (auto e = empty_value_in(*a)) return e;
        const auto subs = a->get_subcommands();
        if (subs.empty()) return std::nullopt;
        a = subs.front();
    }
}

}  // namespace kt::cli
