/*
 * CRC-32 and CRC-64 for the decompressors' integrity checks. CRC-32 runs eight bytes per
 * step (slicing by eight): it checks the whole ~66 MB kernel, and under emulation a table
 * lookup per byte would cost seconds. Tables are built on first use, at boot.
 */
#include <kumo/crc.h>

#define CRC32_POLY 0xEDB88320U                  /* 0x04C11DB7 bit-reversed */
#define CRC64_POLY 0xC96C5795D7870F42ULL        /* ECMA-182, bit-reversed */

static uint32_t crc32_tab[8][256];
static uint64_t crc64_tab[256];
static bool crc32_ready, crc64_ready;

static void crc32_init(void)
{
    for (unsigned int i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32_POLY & (0U - (c & 1)));
        crc32_tab[0][i] = c;
    }
    /* Table t advances a byte through t further zero bytes. */
    for (unsigned int t = 1; t < 8; t++)
        for (unsigned int i = 0; i < 256; i++)
            crc32_tab[t][i] = (crc32_tab[t - 1][i] >> 8) ^ crc32_tab[0][crc32_tab[t - 1][i] & 0xFF];
    crc32_ready = true;
}

uint32_t crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (!crc32_ready)
        crc32_init();
    crc = ~crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = crc ^ (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);

        crc = crc32_tab[7][lo & 0xFF] ^ crc32_tab[6][(lo >> 8) & 0xFF] ^
              crc32_tab[5][(lo >> 16) & 0xFF] ^ crc32_tab[4][lo >> 24] ^
              crc32_tab[3][p[4]] ^ crc32_tab[2][p[5]] ^ crc32_tab[1][p[6]] ^
              crc32_tab[0][p[7]];
    }
    while (len--)
        crc = crc32_tab[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint64_t crc64(uint64_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (!crc64_ready) {
        for (unsigned int i = 0; i < 256; i++) {
            uint64_t c = i;

            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (CRC64_POLY & (0ULL - (c & 1)));
            crc64_tab[i] = c;
        }
        crc64_ready = true;
    }
    crc = ~crc;
    while (len--)
        crc = crc64_tab[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
