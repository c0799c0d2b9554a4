// What Redis Sentinel and a candidate master answer, parsed. Pure functions
// over hiredis reply trees and text, so the rules of the Sentinel client
// protocol (redis_sentinel.h) are tested without a server.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ssebridge/redis_address.h"

struct redisReply;

namespace ssebridge {

// Parses --redis-sentinel: "host:port[,host:port...]", an IPv6 host in
// brackets ("[::1]:26379"). Every entry needs its port (Sentinel has no
// usual one worth guessing). Appends to `out`, each with the given password
// (AUTH to the sentinels); returns "" or what is wrong.
std::string ParseSentinelList(const std::string& text, const std::string& password, std::vector<RedisAddress>* out);

// SENTINEL get-master-addr-by-name: an array of two strings, the master's
// address and port. Sentinel answers nil for a master name it does not know.
// Sets host and port of `out` (the rest is kept); false when there is no
// usable address.
bool ParseMasterAddressReply(const redisReply* reply, RedisAddress* out);

// The payload of a +switch-master message:
// "<master-name> <old-ip> <old-port> <new-ip> <new-port>". False when it is
// malformed; `name` is the master it is about (a sentinel may watch several).
bool ParseSwitchMaster(std::string_view payload, std::string* name, RedisAddress* to);

// ROLE: an array whose first element is "master", "slave" or "sentinel".
// True only for "master": Sentinel may name a server that is still being
// reconfigured, and a client must not write to a replica.
bool IsMasterRoleReply(const redisReply* reply);

// "host:port" for logs (IPv6 in brackets).
std::string EndpointText(const RedisAddress& address);

}  // namespace ssebridge
