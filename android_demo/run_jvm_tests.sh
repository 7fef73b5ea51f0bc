#!/usr/bin/env bash
# Compiles the pure-Java core (android_demo/core) and its JUnit 4 tests with javac and runs them on the JVM.
# No Gradle and no Android SDK needed: Java 17 and Debian's junit4 package (JUnit 4 + Hamcrest).
#
#   bash android_demo/run_jvm_tests.sh
#
# Environment:
#   KEYPOINTS_GOLDEN_DIR  golden folder (golden_contract.json, golden_input.png, golden.json, golden_crop.json);
#                         default android_demo/core/build/golden, written with `export/write_golden.py --out DIR`
#                         from the repo root when it lacks any of these files (a model.tflite already there is kept).
#   PYTHON                interpreter for that script (default python3).
#   JUNIT_JAR, HAMCREST_JAR  explicit jar paths, if not under /usr/share/java.
# Exits non-zero when compilation or any test fails.
set -euo pipefail

demo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$demo_dir")"
core_dir="$demo_dir/core"
build_dir="$core_dir/build/jvm-tests"

find_jar() { # first existing file among the arguments
  local jar
  for jar in "$@"; do
    if [[ -f "$jar" ]]; then echo "$jar"; return 0; fi
  done
  return 1
}

junit_jar="${JUNIT_JAR:-$(find_jar /usr/share/java/junit4.jar /usr/share/java/junit4-*.jar /usr/share/java/junit.jar || true)}"
hamcrest_jar="${HAMCREST_JAR:-$(find_jar /usr/share/java/hamcrest-core.jar /usr/share/java/hamcrest.jar \
  /usr/share/java/hamcrest-all.jar /usr/share/java/hamcrest-*.jar || true)}"
if [[ ! -f "$junit_jar" || ! -f "$hamcrest_jar" ]]; then
  echo "run_jvm_tests.sh: JUnit 4 / Hamcrest jars not found (looked under /usr/share/java; JUNIT_JAR='${JUNIT_JAR:-}', HAMCREST_JAR='${HAMCREST_JAR:-}')." >&2
  echo "  Install them with:  sudo apt-get install -y junit4     (brings libhamcrest-java)" >&2
  echo "  or set JUNIT_JAR and HAMCREST_JAR to the jar paths." >&2
  exit 2
fi
for tool in javac java; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_jvm_tests.sh: '$tool' not found; install a JDK 17 or newer (e.g. apt-get install -y openjdk-17-jdk-headless)." >&2
    exit 2
  fi
done

golden_dir="${KEYPOINTS_GOLDEN_DIR:-$core_dir/build/golden}"
if [[ "$golden_dir" != /* ]]; then golden_dir="$PWD/$golden_dir"; fi
golden_complete=true
for name in golden_contract.json golden_input.png golden.json golden_crop.json; do
  if [[ ! -f "$golden_dir/$name" ]]; then golden_complete=false; fi
done
if [[ "$golden_complete" != true ]]; then
  python="${PYTHON:-python3}"
  echo "run_jvm_tests.sh: the golden folder $golden_dir is missing or incomplete; writing it with $python export/write_golden.py"
  if ! (cd "$repo_dir" && PYTHONPATH="$repo_dir${PYTHONPATH:+:$PYTHONPATH}" \
        "$python" export/write_golden.py --out "$golden_dir"); then
    echo "run_jvm_tests.sh: could not write the golden files with '$python export/write_golden.py --out $golden_dir'" >&2
    echo "  (run from $repo_dir). Set PYTHON to an interpreter with keypoints_tf's dependencies, or point" >&2
    echo "  KEYPOINTS_GOLDEN_DIR at a folder written by export/write_golden.py." >&2
    exit 1
  fi
fi

rm -rf "$build_dir"
mkdir -p "$build_dir/main" "$build_dir/test" "$build_dir/api-check"
mapfile -t main_sources < <(find "$core_dir/src/main/java" -name '*.java' | sort)
mapfile -t test_sources < <(find "$core_dir/src/test/java" -name '*.java' | sort)

# The core runs on Android minSdk 24, which lacks Java 9+ library APIs (List.of, InputStream.readAllBytes, ...):
# compiling against the Java 8 API catches them here instead of on a device.
javac --release 8 -Xlint:-options -nowarn -d "$build_dir/api-check" "${main_sources[@]}"
javac --release 17 -Xlint:all -d "$build_dir/main" "${main_sources[@]}"
classpath="$build_dir/main:$junit_jar:$hamcrest_jar"
javac --release 17 -Xlint:all -cp "$classpath" -d "$build_dir/test" "${test_sources[@]}"

mapfile -t test_classes < <(cd "$build_dir/test" && find . -name '*Test.class' ! -name '*$*' \
  | sed -e 's|^\./||' -e 's|\.class$||' -e 's|/|.|g' | sort)
echo "run_jvm_tests.sh: ${#test_classes[@]} test classes; golden folder $golden_dir"
log="$build_dir/junit.log"
status=0
java -Djava.awt.headless=true -Dkeypoints.golden.dir="$golden_dir" -cp "$build_dir/test:$classpath" \
  org.junit.runner.JUnitCore "${test_classes[@]}" 2>&1 | tee "$log" || status=$?
# One closing line in the plain "N passed, N failed" form, from JUnit's own summary.
summary="$(grep -E '^(OK \([0-9]+ tests?\)|Tests run: [0-9]+,  Failures: [0-9]+)' "$log" | tail -n 1 || true)"
if [[ "$summary" =~ ^OK\ \(([0-9]+) ]]; then
  echo "android_demo JVM tests: ${BASH_REMATCH[1]} passed, 0 failed"
elif [[ "$summary" =~ ^Tests\ run:\ ([0-9]+),\ \ Failures:\ ([0-9]+) ]]; then
  echo "android_demo JVM tests: $((BASH_REMATCH[1] - BASH_REMATCH[2])) passed, ${BASH_REMATCH[2]} failed"
fi
exit "$status"
