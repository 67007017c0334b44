/*
 * CRC-32 (IEEE 802.3, as gzip and xz use it) and CRC-64 (ECMA-182, xz's check), both in
 * their reflected form. Pass 0 as crc to start; feed the result back in to continue.
 */
#ifndef KUMO_CRC_H
#define KUMO_CRC_H

#include <kumo/types.h>

uint32_t crc32(uint32_t crc, const void *buf, size_t len);
uint64_t crc64(uint64_t crc, const void *buf, size_t len);

#endif
