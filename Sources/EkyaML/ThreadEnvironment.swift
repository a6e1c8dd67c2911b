#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes sure libtorch's thread pools start with the right environment, re-executing the process if needed.
///
/// Call it first thing in `main`, before any model is used. OpenMP (libgomp) and OpenBLAS read
/// `OMP_WAIT_POLICY` and `OPENBLAS_NUM_THREADS` once when they load, so `setenv` later has no effect
/// (docs/ml-backend.md, "libtorch traps"). When a variable is missing this sets it and `execv`s the
/// same executable with the same arguments; variables the user set are kept. Without the re-exec,
/// busy-waiting OpenMP threads make training several times slower when another job shares the cores.
/// Returns normally when the environment is already right, or when re-execution fails (the process
/// then runs with the defaults).
public func ensureThreadEnvironment() {
    var changed = false
    for (name, value) in threadEnvironmentDefaults() where getenv(name) == nil {
        setenv(name, value, 0)
        changed = true
    }
    // The marker stops a loop should exec keep an environment we did not expect.
    guard changed, getenv("EKYA_THREAD_ENV_SET") == nil else { return }
    setenv("EKYA_THREAD_ENV_SET", "1", 1)
    var arguments: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    #if os(Linux)
    execv("/proc/self/exe", &arguments)
    #endif
    // Only reached when exec failed or is unavailable: continue with the defaults.
    for argument in arguments { free(argument) }
}

/// The variables ``ensureThreadEnvironment()`` sets when they are missing.
///
/// `OMP_WAIT_POLICY=PASSIVE` stops idle OpenMP threads from spinning; OpenBLAS gets as many threads
/// as there are cores, and each model then narrows libtorch and OpenBLAS to its own thread count.
public func threadEnvironmentDefaults() -> [(name: String, value: String)] {
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    return [("OMP_WAIT_POLICY", "PASSIVE"), ("OPENBLAS_NUM_THREADS", String(cores))]
}
