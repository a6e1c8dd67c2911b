import Foundation

/// File helpers for the composition root: reads with clear errors, atomic writes (temp file + rename).
enum FileIO {
    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "not readable as UTF-8 text" : "no such file"
            throw AppError.cannotRead(path: path, reason: reason)
        }
    }

    /// Writes `text` to `path` through a temporary file in the same directory and a rename.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw AppError.cannotWrite(path: path, reason: "directory '\(directory.path)' does not exist") }
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw AppError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Text of an embedded resource file.
    static func resource(_ name: String, extension ext: String) throws -> String {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")
                ?? Bundle.module.url(forResource: name, withExtension: ext)
        else { throw AppError.missingResource("\(name).\(ext)") }
        return try read(url.path)
    }
}
