import EkyaApp
import Foundation

/// Writes a line to standard error.
func complain(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

#if FUZZING
// Built by scripts/fuzz with -sanitize=fuzzer,address -DFUZZING: libFuzzer's main calls this for every input;
// EKYA_FUZZ_TARGET names the target.
let chosen: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["EKYA_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        complain("ekya-fuzz: set EKYA_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    chosen.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// libFuzzer's driver, for executables that have a main of their own.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

// SwiftPM links an executable target's entry point under this name; here it hands over to libFuzzer.
@_cdecl("ekya_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without libFuzzer: `ekya-fuzz TARGET FILE...` replays inputs (a corpus, a crash artefact) through a target.
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            complain("usage: ekya-fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue)))")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                complain("ekya-fuzz: cannot read '\(path)'")
                exit(1)
            }
            target.run(Array(data))
        }
        print("\(target.rawValue): \(arguments.count - 1) inputs, no crash")
    }
}
#endif
