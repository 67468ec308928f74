"""Which addresses a webhook may go to: public unicast ones only."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.platform.webhook_posts import is_public

INWARD_V4 = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
             "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "192.0.2.0/24"]


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("93.184.216.34", True), ("2001:4860:4860::8888", True),
    ("::ffff:8.8.8.8", True),
    ("127.0.0.1", False), ("169.254.169.254", False), ("10.1.2.3", False),
    ("172.31.255.255", False), ("192.168.1.1", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("255.255.255.255", False), ("224.0.0.251", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False),
    ("fd12:3456::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:169.254.169.254", False), ("::ffff:10.0.0.1", False),
])
def test_an_address_is_public_only_when_globally_routable_unicast(address: str,
                                                                   public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@given(st.sampled_from(INWARD_V4).flatmap(
    lambda net: st.integers(0, ipaddress.ip_network(net).num_addresses - 1).map(
        lambda offset, net=net: ipaddress.ip_network(net)[offset])))
def test_no_address_of_a_loopback_private_link_local_or_reserved_network_is_public(
        address: ipaddress.IPv4Address) -> None:
    assert not is_public(address)
    assert not is_public(ipaddress.IPv6Address(f"::ffff:{address}"))
