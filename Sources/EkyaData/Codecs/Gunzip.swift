import CEkyaCodecs
import Foundation

/// Reading gzip-compressed files through zlib.
enum Gunzip {
    /// The decompressed contents of the gzip file at `path` (a plain file is returned as is).
    static func contents(ofFile path: String) throws(DataError) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = ekya_gunzip_file(path, &buffer, &length)
        defer { ekya_codecs_free(buffer) }
        switch status {
        case Int32(ekya_codecs_ok):
            guard let buffer else { return [] }
            return [UInt8](UnsafeBufferPointer(start: buffer, count: length))
        case Int32(ekya_codecs_open_failed):
            throw .unreadableFile(path: path)
        default:
            throw .corruptIDX(path: path, reason: "gzip data is corrupt or truncated")
        }
    }
}
