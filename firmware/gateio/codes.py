"""OSDP command, reply, NAK, capability and colour codes used by this board (SIA OSDP v2.2)."""

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

SOM = const(0x53)
MARK = const(0xFF)
BROADCAST = const(0x7F)
REPLY_BIT = const(0x80)

CTRL_SEQ = const(0x03)
CTRL_CRC = const(0x04)
CTRL_SCB = const(0x08)

# commands (CP -> PD)
CMD_POLL = const(0x60)
CMD_ID = const(0x61)
CMD_CAP = const(0x62)
CMD_LSTAT = const(0x64)
CMD_ISTAT = const(0x65)
CMD_OSTAT = const(0x66)
CMD_RSTAT = const(0x67)
CMD_OUT = const(0x68)
CMD_LED = const(0x69)
CMD_BUZ = const(0x6A)
CMD_TEXT = const(0x6B)
CMD_COMSET = const(0x6E)
CMD_KEYSET = const(0x75)
CMD_CHLNG = const(0x76)
CMD_SCRYPT = const(0x77)

# replies (PD -> CP)
REPLY_ACK = const(0x40)
REPLY_NAK = const(0x41)
REPLY_PDID = const(0x45)
REPLY_PDCAP = const(0x46)
REPLY_LSTATR = const(0x48)
REPLY_ISTATR = const(0x49)
REPLY_OSTATR = const(0x4A)
REPLY_CCRYPT = const(0x76)
REPLY_RMAC_I = const(0x78)

# NAK reasons
NAK_MSG_CHECK = const(0x01)  # CRC or checksum wrong
NAK_CMD_LENGTH = const(0x02)
NAK_UNKNOWN_CMD = const(0x03)
NAK_SEQ_NUM = const(0x04)
NAK_SC_UNSUPPORTED = const(0x05)
NAK_SC_CONDITION = const(0x06)
NAK_UNABLE = const(0x09)  # record cannot be processed (e.g. no such output)

# security control block types
SCS_11 = const(0x11)
SCS_12 = const(0x12)
SCS_13 = const(0x13)
SCS_14 = const(0x14)
SCS_15 = const(0x15)
SCS_16 = const(0x16)
SCS_17 = const(0x17)
SCS_18 = const(0x18)

# PDCAP function codes
CAP_CONTACT_STATUS = const(1)
CAP_OUTPUT_CONTROL = const(2)
CAP_LED_CONTROL = const(4)
CAP_AUDIBLE_OUTPUT = const(5)
CAP_CHECK_CHARACTER = const(8)
CAP_COMM_SECURITY = const(9)
CAP_RECEIVE_BUFFER = const(10)
CAP_COMBINED_MESSAGE = const(11)

# LED colours
COLOR_BLACK = const(0)
COLOR_RED = const(1)
COLOR_GREEN = const(2)
COLOR_AMBER = const(3)
COLOR_BLUE = const(4)
COLOR_MAGENTA = const(5)
COLOR_CYAN = const(6)
COLOR_WHITE = const(7)

# default SCBK (SCBK-D) of the OSDP specification, for install mode only
SCBK_DEFAULT = b"0123456789:;<=>?"
