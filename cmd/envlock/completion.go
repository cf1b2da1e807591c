package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

var cmdCompletion = &Command{
	Name:  "completion",
	Usage: "completion bash|zsh|fish",
	Short: "print a shell completion script",
	Long: `
Completion prints a script that completes envlock's commands and their
flags in bash, zsh or fish. Load it from the shell's start-up file:

	bash  (~/.bashrc)                   source <(envlock completion bash)
	zsh   (~/.zshrc, after compinit)    source <(envlock completion zsh)
	fish  (~/.config/fish/config.fish)  envlock completion fish | source

Or install it where bash-completion finds it on demand:

Example:

	mkdir -p ~/.local/share/bash-completion/completions && envlock completion bash > ~/.local/share/bash-completion/completions/envlock
`,
}

// runCompletion is set in init: it reads the commands table, which holds
// cmdCompletion.
func init() { cmdCompletion.Run = runCompletion }

func runCompletion(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("want one shell: bash, zsh or fish")
	}
	switch args[0] {
	case "bash":
		writeBashCompletion(env.Stdout)
	case "zsh":
		writeZshCompletion(env.Stdout)
	case "fish":
		writeFishCompletion(env.Stdout)
	default:
		return usagef("unknown shell %q; want bash, zsh or fish", args[0])
	}
	return nil
}

// commandFlags returns each command's flags as "-name" words.
func commandFlags(c *Command) []string {
	initFlags(c)
	var out []string
	c.Flags.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			out = append(out, "-"+f.Name)
		} else {
			out = append(out, "--"+f.Name)
		}
	})
	return out
}

func commandNames() []string {
	names := []string{"help", "version"}
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return names
}

func writeBashCompletion(w io.Writer) {
	fmt.Fprintf(w, `# bash completion for envlock ('envlock completion bash')
_envlock() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W %q -- "$cur"))
        return
    fi
    local words=""
    case "${COMP_WORDS[1]}" in
`, strings.Join(commandNames(), " "))
	for _, c := range commands {
		fmt.Fprintf(w, "    %s) words=%q ;;\n", c.Name, strings.Join(commandFlags(c), " "))
	}
	fmt.Fprint(w, `    help) words=`+fmt.Sprintf("%q", strings.Join(commandNames(), " "))+` ;;
    esac
    if [[ "$cur" == -* || "${COMP_WORDS[1]}" == help ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _envlock envlock
`)
}

func writeZshCompletion(w io.Writer) {
	fmt.Fprint(w, `#compdef envlock
# zsh completion for envlock ('envlock completion zsh')
_envlock() {
  local -a cmds
  cmds=(
`)
	fmt.Fprintln(w, "    'help:show help for a command'")
	fmt.Fprintln(w, "    'version:print the version'")
	for _, c := range commands {
		fmt.Fprintf(w, "    %s\n", zshQuote(c.Name+":"+c.Short))
	}
	fmt.Fprint(w, `  )
  if (( CURRENT == 2 )); then
    _describe 'envlock command' cmds
    return
  fi
  local -a flags
  case ${words[2]} in
`)
	for _, c := range commands {
		fmt.Fprintf(w, "    %s) flags=(%s) ;;\n", c.Name, strings.Join(commandFlags(c), " "))
	}
	fmt.Fprint(w, `  esac
  if [[ ${words[CURRENT]} == -* ]]; then
    compadd -a flags
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _envlock envlock
fi
`)
}

func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeFishCompletion(w io.Writer) {
	fmt.Fprintln(w, "# fish completion for envlock ('envlock completion fish')")
	fmt.Fprintln(w, "complete -c envlock -e")
	all := strings.Join(commandNames(), " ")
	fmt.Fprintf(w, "complete -c envlock -n 'not __fish_seen_subcommand_from %s' -f -a help -d 'show help for a command'\n", all)
	fmt.Fprintf(w, "complete -c envlock -n 'not __fish_seen_subcommand_from %s' -f -a version -d 'print the version'\n", all)
	for _, c := range commands {
		fmt.Fprintf(w, "complete -c envlock -n 'not __fish_seen_subcommand_from %s' -f -a %s -d %s\n", all, c.Name, zshQuote(c.Short))
		initFlags(c)
		c.Flags.VisitAll(func(f *flag.Flag) {
			opt := "-l " + f.Name
			if len(f.Name) == 1 {
				opt = "-o " + f.Name
			}
			_, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "complete -c envlock -n '__fish_seen_subcommand_from %s' %s -d %s\n", c.Name, opt, zshQuote(firstLine(usage)))
		})
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
