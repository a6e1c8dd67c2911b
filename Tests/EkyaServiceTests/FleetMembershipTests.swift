import EkyaFleet
import EkyaStore
import Foundation
import Testing

@testable import EkyaService

@Suite struct FleetMembershipTests {
    static func record(_ id: String, cost: Double, devices: Int = 1) -> FleetNodeRecord {
        FleetNodeRecord(
            id: id,
            address: "http://\(id):8080",
            devices: devices,
            inferenceCost: cost,
            incarnation: id,
            status: .live,
            startedAt: Date(),
            heartbeatAt: Date(),
            heartbeatAge: 0
        )
    }

    @Test func aNodesSpeedIsTheFleetsTypicalInferenceCostOverItsOwn() {
        // Given nodes that measured 0.1 and 0.2 device per stream, and one that has not measured yet
        let nodes = FleetMembership.nodes([
            Self.record("fast", cost: 0.1), Self.record("slow", cost: 0.2, devices: 2), Self.record("new", cost: 0),
            Self.record("noisy", cost: 0.26),
        ])
        // Then speeds are relative to the median measured cost, an unmeasured node counts as typical, and a node
        // within 1.5× of typical counts as typical
        #expect(nodes.map(\.id) == ["fast", "slow", "new", "noisy"])
        #expect(nodes.map(\.speed) == [2, 1, 1, 1])
        #expect(nodes.map(\.devices) == [1, 2, 1, 1])
        // and a much faster one a rounded multiple
        #expect(
            FleetMembership.nodes([Self.record("a", cost: 0.1), Self.record("b", cost: 0.4)]).map(\.speed) == [4, 1]
        )
    }
}
