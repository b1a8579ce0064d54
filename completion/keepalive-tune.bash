# bash completion for keepalive-tune(8): commands, subcommands, options and, where they can be
# listed cheaply, their values (profile names, middlebox ids, states, roles, PIDs, namespaces).
# Needs bash 4.2 or later and nothing else (not the bash-completion package).
#
# The tables below say which options each command has and what each one takes. A command or
# option is offered only when the binary's own --help lists it (read once per shell), so the
# completion offers what the binary being run accepts, older or newer; when the binary cannot be
# run, the tables are offered whole. tests/completion/check-completion fails when the binary has a
# command or long option that these tables lack.

# Long options of each command ("_": before the command); NAME:KIND for an option that takes a
# value, KIND saying how that value is completed (text: nothing to offer).
declare -gA _keepalive_tune_options=(
    [_]='--help --version --json --profile-dir:dir'
    [inspect]='--help --state:state --sport:text --dport:text --port:text --peer:text --local:text
        --ipv4 --ipv6 --role:role --keepalive:keepalive --processes --pid:pid --comm:comm --idle
        --idle-over:text --idle-under:text --exact --netns:netns --netns-of:pid --all-netns --pod:pod --container:text --summary
        --dump-raw:file --replay:file --engine:engine'
    [health]='--help --path:middlebox --profile:profile --paths:file --top:text --netns:netns
        --netns-of:pid --all-netns --pod:pod --container:text --state:health-state --sport:text --dport:text --port:text --peer:text
        --local:text --ipv4 --ipv6 --role:connection-role --keepalive:keepalive --idle-over:text
        --idle-under:text --pid:pid --comm:comm --prometheus --engine:engine'
    [reap]='--help --path:middlebox --profile:profile --paths:file --netns:netns
        --netns-of:pid --all-netns --pod:pod --container:text --state:health-state --sport:text --dport:text --port:text --peer:text
        --local:text --ipv4 --ipv6 --role:connection-role --keepalive:keepalive --idle-over:text
        --idle-under:text --pid:pid --comm:comm --verdict:verdict --method:method --dry-run --all --limit:text --engine:engine'
    [probe]='--help --max:text --connections:text --from:text --netns:netns --netns-of:pid --pod:pod
        --container:text'
    [profile]='--help'
    ['profile list']='--help'
    ['profile show']='--help'
    ['profile validate']='--help'
    ['profile check']='--help --path:middlebox'
    ['profile middleboxes']='--help --host'
    ['profile render']='--help --for:render-target --side:render-side --envoy-version:text --go-version:text --list'
    [apply]='--help --pid:pid --comm:comm --cgroup:cgroup --role:role --port:text --peer:text
        --dry-run --undo-file:file --watch:text --sysctl --netns:netns --netns-of:pid --all-netns --pod:pod --container:text
        --engine:engine'
    [verify]='--help --pid:pid --comm:comm --cgroup:cgroup --pod:pod --container:text --role:role
        --port:text --peer:text --engine:engine'
    [exec]='--help --role:preload-role --enforce --strict'
    [undo]='--help --engine:engine'
    [enforce]='--help --cgroup:cgroup --pod:pod --container:text --role:role --override-app --list --remove'
    [agent]='--help --policy:file --metrics-listen:text --once --dry-run --detach --json-log --pod-logs:dir
        --state-dir:dir'
    [trace]='--help --duration:text --count:text --all --summary --top:text --reason:end-reason --port:text
        --peer:text --pid:pid --comm:comm --role:role --netns:netns --netns-of:pid --all-netns --pod:pod --container:text
        --install-counters --remove-counters'
    [timewait]='--help --by:timewait-group --top:text --netns:netns --netns-of:pid --all-netns --pod:pod --container:text
        --prometheus'
    [audit]='--help --type:audit-type --path:middlebox --fail-on:severity --pid:pid --comm:comm --engine:engine
        --envoy-version:text --backend-idle:text --kubernetes-version:text'
    [check]='--help --timewait-warn:text --timewait-crit:text --ports-warn:text --ports-crit:text
        --buckets-warn:text --buckets-crit:text --dropped-warn:text --dropped-crit:text
        --peer-closed-warn:text --peer-closed-crit:text --retransmitting-warn:text
        --retransmitting-crit:text --config:file --format:check-format --output:file
        --state-file:file --top:text --netns:netns --netns-of:pid --all-netns --pod:pod --container:text --profile:profile
        --path:middlebox --paths:file --pid:pid --comm:comm --cgroup:cgroup --role:role
        --port:text --peer:text --engine:engine'
)

# The subcommands of the commands that have them.
declare -gA _keepalive_tune_commands=(
    [_]='inspect health reap probe trace profile apply verify exec enforce agent undo timewait audit check'
    [profile]='list show validate check middleboxes render'
)

# The kinds of each command's positional arguments, in order; "KIND..." repeats.
declare -gA _keepalive_tune_positionals=(
    [probe]='text'
    [apply]='profile'
    [verify]='profile'
    [exec]='profile separator'
    [undo]='file'
    [audit]='file...'
    [enforce]='profile'
    ['profile show']='profile'
    ['profile check']='profile'
    ['profile render']='profile'
    ['profile validate']='file...'
)

# Kinds whose values are fixed words.
declare -gA _keepalive_tune_words=(
    [state]='established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed close-wait last-ack
        listening closing all connected synchronized bucket big'
    [health-state]='established syn-sent fin-wait-1 fin-wait-2 close-wait last-ack closing connected'
    [role]='listener accepted upstream'
    [connection-role]='accepted upstream'
    [preload-role]='listener upstream'
    [keepalive]='on off unknown'
    [verdict]='ok at-risk likely-dropped peer-closed retransmitting probing unverified'
    [method]='auto destroy shutdown'
    [timewait-group]='pair peer local-port'
    [end-reason]='keepalive-timeout retransmit-timeout reset-received reset-sent error closed'
    [check-format]='nagios json prometheus'
    [engine]='auto bpf pidfd'
    [render-target]='nginx haproxy envoy istio envoy-gateway gloo higress contour systemd-socket
        sysctl.d kubernetes go java netty postgresql libpq redis'
    [render-side]='downstream upstream both'
    [audit-type]='nginx haproxy envoy kubernetes'
    [severity]='info low medium high'
    [separator]='--'
)

# Kinds whose values are comma-separated lists: the word after the last comma is completed.
_keepalive_tune_lists=' state health-state role connection-role preload-role verdict middlebox '

# Where the kubelet keeps a directory per pod (NAMESPACE_NAME_UID): --pod's values.
_keepalive_tune_pods_dir=/var/log/pods

# What each binary's --help lists, by "BINARY|COMMAND"; "?" when it gave no help.
declare -gA _keepalive_tune_help_cache=()

# Profile names, catalogue ids and other names the binary prints: what a name looks like.
_keepalive_tune_name_pattern='^[a-z0-9_][a-z0-9._-]*$'

# Caches the long options and subcommands that BIN's --help lists for KEY ("_" or "profile show").
_keepalive_tune_read_help() {
    local bin=$1 key=$2 line section='' word name known=' '
    local -a args=() words names
    [[ -n ${_keepalive_tune_help_cache["$bin|$key"]+set} ]] && return 0
    # shellcheck disable=SC2206  # "profile show" is two words
    [[ $key != _ ]] && args=($key)
    while IFS= read -r line; do
        case ${line^^} in
            OPTIONS:*) section=options; continue ;;
            SUBCOMMANDS:*) section=commands; continue ;;
        esac
        if [[ $line != '  '[!\ ]* ]]; then
            # An unindented line (Positionals:, the footer) ends a section; wrapped text does not.
            [[ $line == [!\ ]* ]] && section=
            continue
        fi
        read -ra words <<<"$line"
        if [[ $section == commands ]]; then
            known+="${words[0]} "
        elif [[ $section == options ]]; then
            # "-h,--help", "--pid PID ...", or CLI11 2.4's "-h,     --help": names come first.
            for word in "${words[@]}"; do
                [[ $word == -* ]] || break
                IFS=, read -ra names <<<"$word"
                for name in "${names[@]}"; do
                    [[ $name == --?* ]] && known+="$name "
                done
            done
        fi
    done < <(LC_ALL=C "$bin" "${args[@]}" --help 2>/dev/null)
    [[ $known == ' ' ]] && known='?'
    _keepalive_tune_help_cache["$bin|$key"]=$known
}

# Sets `offered` to the names among ENTRIES (NAME or NAME:KIND) that BIN's --help lists for KEY.
_keepalive_tune_offered() {
    local bin=$1 key=$2 entry name known
    offered=()
    _keepalive_tune_read_help "$bin" "$key"
    known=${_keepalive_tune_help_cache["$bin|$key"]}
    for entry in $3; do
        name=${entry%%:*}
        [[ $known == '?' || $known == *" $name "* ]] && offered+=("$name")
    done
}

# Sets `kind` to what OPTION of command KEY takes: empty for a flag or an unknown option.
# Options of the top level are accepted after a command too.
_keepalive_tune_kind() {
    local key=$1 option=$2 entry
    kind=
    for entry in ${_keepalive_tune_options[$key]-} ${_keepalive_tune_options[_]}; do
        if [[ ${entry%%:*} == "$option" ]]; then
            [[ $entry == *:* ]] && kind=${entry#*:}
            return 0
        fi
    done
}

# Appends to `candidates` each WORD that starts with CUR.
_keepalive_tune_match() {
    local cur=$1 word
    shift
    for word; do
        [[ $word == "$cur"* ]] && candidates+=("$word")
    done
}

# Appends to `candidates` the names in the first column of BIN ARGS... that start with CUR.
_keepalive_tune_first_column() {
    local cur=$1 bin=$2 name rest
    shift 2
    while read -r name rest; do
        [[ $name =~ $_keepalive_tune_name_pattern && $name == "$cur"* ]] && candidates+=("$name")
    done < <("$bin" "$@" 2>/dev/null)
}

# Appends files (FILTER: a compgen -X pattern) and directories starting with CUR; sets `filenames`.
_keepalive_tune_files() {
    local cur=$1 filter=${2-}
    if [[ -n $filter ]]; then
        mapfile -t -O "${#candidates[@]}" candidates < <(compgen -d -- "$cur"; compgen -f -X "$filter" -- "$cur")
    else
        mapfile -t -O "${#candidates[@]}" candidates < <(compgen -f -- "$cur")
    fi
    filenames=1
}

# Sets COMPREPLY to the values of KIND that start with CUR, each after PREFIX.
_keepalive_tune_values() {
    local kind=$1 cur=$2 prefix=$3 bin=$4 head='' item dir root lead='' filenames='' nospace=''
    local -a candidates=() args=()
    local -A seen=()
    if [[ $_keepalive_tune_lists == *" $kind "* && $cur == *,* ]]; then
        head=${cur%,*},
        cur=${cur##*,}
    fi
    case $kind in
        profile)
            # An argument with a slash or ending in .json is read as a path.
            if [[ $cur == */* || $cur == .* || $cur == '~'* ]]; then
                _keepalive_tune_files "$cur" '!*.json'
            else
                for dir in "${profile_dirs[@]}"; do
                    args+=(--profile-dir "${dir/#\~/$HOME}")
                done
                _keepalive_tune_first_column "$cur" "$bin" "${args[@]}" profile list
            fi
            ;;
        middlebox)
            if [[ -z ${_keepalive_tune_help_cache["$bin|#middleboxes"]+set} ]]; then
                _keepalive_tune_first_column '' "$bin" profile middleboxes
                _keepalive_tune_help_cache["$bin|#middleboxes"]=" ${candidates[*]} "
                candidates=()
            fi
            # shellcheck disable=SC2086  # the cached ids are words
            _keepalive_tune_match "$cur" ${_keepalive_tune_help_cache["$bin|#middleboxes"]}
            ;;
        pid)
            for item in /proc/[1-9]*; do
                item=${item#/proc/}
                [[ $item != *[!0-9]* && $item == "$cur"* ]] && candidates+=("$item")
            done
            ;;
        comm)
            for item in /proc/[1-9]*/comm; do
                { read -r item <"$item"; } 2>/dev/null || continue
                [[ -n $item && $item == "$cur"* && -z ${seen[$item]+set} ]] || continue
                seen[$item]=1
                printf -v item '%q' "$item"
                candidates+=("$item")
            done
            ;;
        netns)
            if [[ $cur == */* ]]; then
                _keepalive_tune_files "$cur"
            else
                for item in /run/netns/*; do
                    item=${item#/run/netns/}
                    [[ -e /run/netns/$item && $item == "$cur"* ]] && candidates+=("$item")
                done
            fi
            ;;
        cgroup)
            # enforce --remove: the cgroups enforce --list shows, also those already gone.
            if [[ ${removing-} == 1 ]]; then
                while read -r item _; do
                    [[ $item == /* && $item == "$cur"* ]] && candidates+=("$item")
                done < <("$bin" enforce --list 2>/dev/null)
            else
                # Relative to the cgroup2 mount, as systemd names them ("system.slice/nginx.service").
                root=/sys/fs/cgroup
                while read -r _ dir item _; do
                    [[ $item == cgroup2 ]] && root=$dir && break
                done </proc/self/mounts
                [[ $cur == /* ]] && lead=/
                for dir in "$root/${cur#/}"*/; do
                    [[ -d $dir ]] && candidates+=("$lead${dir#"$root/"}")
                done
                nospace=1
            fi
            ;;
        pod)
            # NAMESPACE/NAME from the kubelet's NAMESPACE_NAME_UID directories.
            for dir in "$_keepalive_tune_pods_dir"/*_*_*/; do
                [[ -d $dir ]] || continue
                item=${dir%/}
                item=${item##*/}
                item=${item%_*}
                item=${item/_//}
                [[ $item == "$cur"* && -z ${seen[$item]+set} ]] || continue
                seen[$item]=1
                candidates+=("$item")
            done
            ;;
        file) _keepalive_tune_files "$cur" ;;
        dir)
            mapfile -t candidates < <(compgen -d -- "$cur")
            filenames=1
            ;;
        text) ;;
        *)
            # shellcheck disable=SC2086  # the tables hold words
            _keepalive_tune_match "$cur" ${_keepalive_tune_words[$kind]-}
            ;;
    esac
    # compopt works only while bash is completing (not when a test calls this function).
    [[ -n $filenames ]] && compopt -o filenames 2>/dev/null
    [[ -n $nospace ]] && compopt -o nospace 2>/dev/null
    COMPREPLY=()
    for item in "${candidates[@]}"; do
        # A list does not take the same value twice ("peer-closed,<TAB>" offers the others).
        [[ -n $head && ",$head" == *",$item,"* ]] && continue
        COMPREPLY+=("$prefix$head$item")
    done
    return 0
}

# Sets COMPREPLY to the names in `offered` that start with CUR.
_keepalive_tune_match_reply() {
    local -a candidates=()
    _keepalive_tune_match "$1" "${offered[@]}"
    COMPREPLY=("${candidates[@]}")
}

# COMP_WORDS and COMP_CWORD in, COMPREPLY out.
_keepalive_tune() {
    local IFS=$' \t\n' bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} key=_ word kind option='' prefix=''
    local i=1 positional=0 separator=0 removing=0 prev=${COMP_WORDS[COMP_CWORD-1]-} before=${COMP_WORDS[COMP_CWORD-2]-}
    local -a profile_dirs=() offered=() kinds=()
    # shellcheck disable=SC2088  # a literal "~/" typed before the command
    [[ $bin == '~/'* ]] && bin=$HOME/${bin#'~/'}
    COMPREPLY=()

    # Which command the words before the cursor name, and how many positionals they give it.
    while ((i < COMP_CWORD)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then
            separator=$i
            break
        elif [[ $word == --remove ]]; then
            removing=1
        elif [[ $word == --*=* ]]; then
            [[ ${word%%=*} == --profile-dir ]] && profile_dirs+=("${word#*=}")
        elif [[ $word == -?* ]]; then
            _keepalive_tune_kind "$key" "$word"
            if [[ -n $kind ]]; then
                ((++i))
                # COMP_WORDBREAKS holds "=": "--state=x" arrives as "--state" "=" "x".
                [[ ${COMP_WORDS[i]-} == = ]] && ((++i))
                [[ $word == --profile-dir ]] && ((i < COMP_CWORD)) && profile_dirs+=("${COMP_WORDS[i]}")
            fi
        elif ((positional == 0)) && [[ " ${_keepalive_tune_commands[$key]-} " == *" $word "* ]]; then
            if [[ $key == _ ]]; then key=$word; else key="$key $word"; fi
        else
            ((++positional))
        fi
        ((++i))
    done

    # After "--" come the command exec runs and its arguments.
    if ((separator > 0)); then
        [[ $key == exec ]] || return 0
        if ((COMP_CWORD == separator + 1)); then
            mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        else
            _keepalive_tune_values file "$cur" '' "$bin"
        fi
        return 0
    fi

    # The value of an option: "--opt VALUE", "--opt=VALUE" as one word, or split at "=".
    if [[ $cur == = && $prev == --?* ]]; then
        option=$prev cur=
    elif [[ $prev == = && $before == --?* ]]; then
        option=$before
    elif [[ $cur == --?*=* ]]; then
        option=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
    elif [[ $prev == -?* ]]; then
        option=$prev
    fi
    if [[ -n $option ]]; then
        _keepalive_tune_kind "$key" "$option"
        if [[ -n $kind ]]; then
            _keepalive_tune_values "$kind" "$cur" "$prefix" "$bin"
            return 0
        fi
    fi

    if [[ $cur == -* ]]; then
        _keepalive_tune_offered "$bin" "$key" "${_keepalive_tune_options[$key]-}"
        _keepalive_tune_match_reply "$cur"
    elif [[ -n ${_keepalive_tune_commands[$key]+set} ]]; then
        _keepalive_tune_offered "$bin" "$key" "${_keepalive_tune_commands[$key]}"
        _keepalive_tune_match_reply "$cur"
    else
        # shellcheck disable=SC2206  # the tables hold words
        kinds=(${_keepalive_tune_positionals[$key]-})
        ((${#kinds[@]} > 0)) || return 0
        kind=${kinds[${#kinds[@]} - 1]}
        if ((positional < ${#kinds[@]})); then
            kind=${kinds[positional]}
        elif [[ $kind != *... ]]; then
            return 0
        fi
        _keepalive_tune_values "${kind%...}" "$cur" '' "$bin"
    fi
    return 0
}

complete -F _keepalive_tune keepalive-tune
