# Sourced by the other scripts: finds a JDK 25 or newer and exports JAVA_HOME and PATH for it.
# Order: $JAVA_HOME if it is >= 25, then `java` on PATH, then /usr/lib/jvm/* (newest first).

loomhub_java_feature() {
  # Prints the feature release (17, 25, ...) of the java binary given as $1, or nothing.
  "$1" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/^ *java\.specification\.version =/ { print $2; exit }' \
    | cut -d. -f1
}

loomhub_find_jdk() {
  local candidate feature
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    feature=$(loomhub_java_feature "$JAVA_HOME/bin/java")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  if command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    feature=$(loomhub_java_feature "$candidate/bin/java")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then echo "$candidate"; return 0; fi
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    feature=$(loomhub_java_feature "$candidate/bin/java")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

if ! LOOMHUB_JDK=$(loomhub_find_jdk); then
  cat >&2 <<'MSG'
loomhub needs a JDK 25 or newer (javac included), and none was found:
  - JAVA_HOME is unset or older than 25,
  - `java` on PATH is older than 25,
  - nothing under /usr/lib/jvm is 25 or newer.
Install one, for example Debian/Ubuntu: `apt-get install openjdk-25-jdk` (or Temurin 25 from adoptium.net),
or point JAVA_HOME at an existing JDK 25, then run this command again.
MSG
  exit 1
fi
export JAVA_HOME="$LOOMHUB_JDK"
export PATH="$JAVA_HOME/bin:$PATH"

if ! command -v mvn >/dev/null 2>&1; then
  echo "loomhub builds with Apache Maven 3.8 or newer, and 'mvn' is not on PATH (Debian: apt-get install maven)." >&2
  exit 1
fi
