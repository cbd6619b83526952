# Month and day as people write them: 1月5日, not Django's 01月5日.
MONTH_DAY_FORMAT = "n月j日"
