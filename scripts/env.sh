# Sourced by the scripts: puts cargo (rustup's default place) and pip's CMake on PATH.
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac
export PATH
