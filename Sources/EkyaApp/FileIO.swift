import Foundation

/// File helpers for the composition root: reads with clear errors, atomic writes (temp file + rename).
enum FileIO {
    static func read(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AppError.cannotRead(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw AppError.cannotRead(path: path, reason: "it is a directory") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AppError.cannotRead(path: path, reason: "not readable as UTF-8 text")
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            throw AppError.cannotRead(path: path, reason: "the file is empty")
        }
        return text
    }

    /// Why a file cannot be written at `path` (its directory is missing, or it is a directory), or nil.
    static func problemWritingFile(at path: String) -> String? {
        guard !path.isEmpty else { return "the path is empty" }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "'\(path)' is a directory"
        }
        let directory = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return "directory '\(directory.path)' does not exist" }
        return nil
    }

    /// Writes `text` to `path` through a temporary file in the same directory and a rename.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        if let problem = problemWritingFile(at: path) { throw AppError.cannotWrite(path: path, reason: problem) }
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
