#include "../awb_shim.h"
