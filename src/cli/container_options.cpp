#include "cli/container_options.hpp"

namespace kt::cli {

void add_container_options(CLI::App& cmd, std::string& pod, std::string& container, const std::string& what) {
    const std::string lead = what.empty() ? "the network namespace" : what + " the network namespace";
    cmd.add_option("--pod", pod,
                   lead + " of the Kubernetes pod NAME or NAMESPACE/NAME (from /var/log/pods), or else of the "
                          "processes with hostname NAME")
        ->type_name("NAME");
    cmd.add_option("--container", container,
                   lead + " of the container whose id starts with ID-PREFIX (as crictl ps and docker ps print it)")
        ->type_name("ID-PREFIX");
}

}  // namespace kt::cli
