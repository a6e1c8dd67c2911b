import EkyaData
import EkyaVideo
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(10))) struct LiveVideoStreamTests {
    /// A loopback port nothing listens on.
    static func closedPort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aCameraThatDoesNotAnswerIsDisconnectedKeepsRetryingAndGivesEmptyWindows() throws {
        let configuration = try StreamConfiguration(
            cropsPerSecond: 2,
            windowDuration: .seconds(10),
            testFraction: 0.2,
            seed: 1
        )
        let stream = try LiveVideoStream(
            url: "tcp://127.0.0.1:\(Self.closedPort())",
            scenario: .stable,
            windowCount: 3,
            configuration: configuration,
            timeout: 1,
            maximumBackoff: 0.5
        )
        defer { stream.stop() }
        // Nothing arrives: no objects within the wait, the status says why, and it keeps trying.
        #expect(stream.waitForObjects(1, within: 2) == 0)
        let status = stream.liveStatus
        #expect(status.connection == .disconnected)
        #expect(status.reason?.contains("Connection refused") == true, "\(String(describing: status.reason))")
        #expect(status.framesReceived == 0)
        // A window of a camera that never delivered holds no crops (the service refuses such a stream).
        let window = stream.window(1)
        #expect(window.train.isEmpty && window.test.isEmpty)
        #expect(window.teacherSeconds == 0)
    }
}
