package models

// The demo county's data. Everything here is fictional: the county, its
// places, people and phone numbers. LoadDemo (demo.go) writes these tables in
// order, so on a fresh database the ids come out the same every time.
//
// Coordinates lie around lat 30.27, lng 120.15 and spread over about 19 km,
// with the county seat (城关镇) in the middle, so "nearest station" sorting
// gives a visibly different answer in each town.

// DemoCountyName is the name of the fictional demo county.
const DemoCountyName = "青溪县"

// The demo county's towns and subdistricts (镇/街道).
const (
	dtChengguan = "城关镇"
	dtDongxi    = "东溪街道"
	dtTaoyuan   = "桃源镇"
	dtBaisha    = "白沙镇"
	dtShimen    = "石门镇"
)

// Opening hours; every station keeps the county-wide reception day on the 10th.
const (
	hoursHome        = "周一至周五 8:30-17:00；每月10日接待日"
	hoursStation     = "周一至周五 9:00-17:00；每月10日接待日"
	hoursVillage     = "周二、周四 9:00-11:30；每月10日接待日"
	hoursLegislative = "周一至周五 9:00-17:00；每月10日接待日；草案征求意见期间周六上午开放"
)

type demoStation struct {
	Name      string
	Kind      StationKind
	District  string
	Address   string
	Lat, Lng  float64
	OpenHours string
	Phone     string
}

// demoStations: the first row is the deputy home; DemoSampleCodes uses it.
var demoStations = []demoStation{
	{"城关镇人大代表之家", KindHome, dtChengguan, "青溪县城关镇人民路88号（镇政府东侧）", 30.2684, 120.1482, hoursHome, "0571-63810001"},
	{"东门社区代表联络站", KindStation, dtChengguan, "青溪县城关镇东门街12号东门社区党群服务中心", 30.2712, 120.1565, hoursStation, "0571-63810012"},
	{"西街社区代表联络站", KindStation, dtChengguan, "青溪县城关镇西街45号西街社区居委会二楼", 30.2650, 120.1390, hoursStation, "0571-63810023"},
	{"东溪街道基层立法联系点", KindLegislative, dtDongxi, "青溪县东溪街道溪东路200号街道综合服务中心三楼", 30.2820, 120.1905, hoursLegislative, "0571-63820001"},
	{"滨江社区代表联络站", KindStation, dtDongxi, "青溪县东溪街道滨江路66号滨江社区服务中心", 30.2768, 120.2010, hoursStation, "0571-63820015"},
	{"新华社区代表联络站", KindStation, dtDongxi, "青溪县东溪街道新华路18号新华社区党群服务中心", 30.2880, 120.1832, hoursStation, "0571-63820027"},
	{"青溪经济开发区代表联络站", KindStation, dtDongxi, "青溪县东溪街道科创大道1号开发区企业服务中心", 30.2955, 120.2102, hoursStation, "0571-63820039"},
	{"桃源镇代表联络站", KindStation, dtTaoyuan, "青溪县桃源镇桃源大街9号镇政府一楼", 30.3421, 120.1276, hoursStation, "0571-63830001"},
	{"桃花村代表联络站", KindStation, dtTaoyuan, "青溪县桃源镇桃花村文化礼堂", 30.3550, 120.1130, hoursVillage, "0571-63830016"},
	{"白沙镇代表联络站", KindStation, dtBaisha, "青溪县白沙镇沙洲路20号镇便民服务中心", 30.1982, 120.0785, hoursStation, "0571-63840001"},
	{"沙湾村代表联络站", KindStation, dtBaisha, "青溪县白沙镇沙湾村村民委员会", 30.1865, 120.0620, hoursVillage, "0571-63840018"},
	{"石门镇代表联络站", KindStation, dtShimen, "青溪县石门镇石门街3号镇政府西侧", 30.2125, 120.2258, hoursStation, "0571-63850001"},
	{"龙潭村代表联络站", KindStation, dtShimen, "青溪县石门镇龙潭村村民服务中心", 30.1990, 120.2405, hoursVillage, "0571-63850014"},
	{"茶山村代表联络站", KindStation, dtShimen, "青溪县石门镇茶山村文化礼堂", 30.2250, 120.2490, hoursVillage, "0571-63850026"},
}

type demoCommunity struct {
	Name    string
	Aliases string // "|"-separated: colloquial, old and short names
	Station string // the serving station's name; the district is the station's
}

var demoCommunities = []demoCommunity{
	// 城关镇
	{"东门社区", "东门|东门街|老东门", "东门社区代表联络站"},
	{"西街社区", "西街|西大街|老西街", "西街社区代表联络站"},
	{"南门社区", "南门|南门头|南门口", "城关镇人大代表之家"},
	{"北关社区", "北关|北门|北关街", "城关镇人大代表之家"},
	{"人民路社区", "人民路|人民路口|人民社区", "城关镇人大代表之家"},
	{"城东村", "城东|东郊村|原城东大队", "东门社区代表联络站"},
	{"城西村", "城西|西郊|老城西村", "西街社区代表联络站"},
	{"溪南村", "溪南|溪南畈|溪南头", "西街社区代表联络站"},
	// 东溪街道
	{"滨江社区", "滨江|江边|滨江小区", "滨江社区代表联络站"},
	{"新华社区", "新华|新华路|新华街", "新华社区代表联络站"},
	{"溪东社区", "溪东|溪东新村|溪东小区", "东溪街道基层立法联系点"},
	{"文昌社区", "文昌|文昌阁|文昌街", "东溪街道基层立法联系点"},
	{"望江社区", "望江|望江门|望江小区", "滨江社区代表联络站"},
	{"科创社区", "科创|开发区|园区社区", "青溪经济开发区代表联络站"},
	{"长桥社区", "长桥|长桥头|原长桥村", "新华社区代表联络站"},
	{"金沙社区", "金沙|金沙湾|原金沙村", "青溪经济开发区代表联络站"},
	// 桃源镇
	{"桃源社区", "桃源|桃源街|桃源集镇", "桃源镇代表联络站"},
	{"桃花村", "桃花|桃花坞|原桃花大队", "桃花村代表联络站"},
	{"杏林村", "杏林|杏林坞|杏林湾", "桃花村代表联络站"},
	{"梅岭村", "梅岭|梅岭头|上梅岭|下梅岭", "桃源镇代表联络站"},
	{"上溪村", "上溪|上溪口|上溪坑", "桃源镇代表联络站"},
	{"竹坞村", "竹坞|竹坞里|原竹园村", "桃花村代表联络站"},
	{"双溪村", "双溪|双溪口|两溪口", "桃源镇代表联络站"},
	{"高峰村", "高峰|高峰岭|原高岭村", "桃花村代表联络站"},
	// 白沙镇
	{"白沙社区", "白沙|白沙街|白沙老街", "白沙镇代表联络站"},
	{"沙湾村", "沙湾|沙湾里|沙湾头", "沙湾村代表联络站"},
	{"洲头村", "洲头|江洲头|洲头埠", "沙湾村代表联络站"},
	{"渡口村", "渡口|老渡口|原渡头村", "白沙镇代表联络站"},
	{"芦荡村", "芦荡|芦花荡|芦荡湾", "沙湾村代表联络站"},
	{"柳堤村", "柳堤|柳树堤|柳堤埂", "白沙镇代表联络站"},
	{"新塘村", "新塘|新塘坝|原新塘大队", "白沙镇代表联络站"},
	{"丰收村", "丰收|丰收圩|丰收畈", "沙湾村代表联络站"},
	// 石门镇
	{"石门社区", "石门|石门街|石门老街", "石门镇代表联络站"},
	{"龙潭村", "龙潭|龙潭坑|原龙潭大队", "龙潭村代表联络站"},
	{"茶山村", "茶山|茶山坞|茶场", "茶山村代表联络站"},
	{"青石村", "青石|青石岭|青石板", "石门镇代表联络站"},
	{"水口村", "水口|水口头|原水口乡", "龙潭村代表联络站"},
	{"枫林村", "枫林|枫树林|枫林坞", "茶山村代表联络站"},
	{"岩下村", "岩下|岩脚下|岩下坞", "龙潭村代表联络站"},
	{"云峰村", "云峰|云峰山|原云岭村", "茶山村代表联络站"},
}

// demoTerms is the congress term each level's demo deputies serve in.
var demoTerms = map[Level]string{
	LevelProvincial: "第十四届",
	LevelCity:       "第十六届",
	LevelCounty:     "第十八届",
	LevelTownship:   "第十九届",
}

// Deputy groups (代表小组).
const (
	grpProvincial = "省人大代表青溪县小组"
	grpCity       = "市人大代表青溪县小组"
	grpChengguan  = "城关镇代表小组"
	grpDongxi     = "东溪街道代表小组"
	grpTaoyuan    = "桃源镇代表小组"
	grpBaisha     = "白沙镇代表小组"
	grpShimen     = "石门镇代表小组"
	grpChengguan1 = "城关镇第一代表小组"
	grpChengguan2 = "城关镇第二代表小组"
	grpTaoyuan1   = "桃源镇第一代表小组"
	grpTaoyuan2   = "桃源镇第二代表小组"
	grpBaisha1    = "白沙镇第一代表小组"
	grpBaisha2    = "白沙镇第二代表小组"
	grpShimen1    = "石门镇第一代表小组"
	grpShimen2    = "石门镇第二代表小组"
	grpDongmen    = "东门社区代表小组"
	grpLaw        = "法制专业代表小组"
)

// demoGroup is a deputy group (代表小组) of the demo: its township ("" for
// a county group), its leader, and its members besides the deputies whose
// demoDeputy.Group names it.
type demoGroup struct {
	Name     string
	Township string
	Leader   string
	Extra    []string
}

// demoGroups are created in this order by LoadDemo. 东门社区代表小组 holds
// the county and township deputies of 东门社区代表联络站; 法制专业代表小组 is a
// county professional group whose members come from several stations and
// townships.
var demoGroups = []demoGroup{
	{grpProvincial, "", "沈国良", nil},
	{grpCity, "", "吴志刚", nil},
	{grpLaw, "", "陈立军", []string{"陈立军", "彭晓军", "孙立伟", "张海明", "冯国强"}},
	{grpChengguan, dtChengguan, "张海明", nil},
	{grpDongxi, dtDongxi, "黄建平", nil},
	{grpTaoyuan, dtTaoyuan, "徐长林", nil},
	{grpBaisha, dtBaisha, "梁永福", nil},
	{grpShimen, dtShimen, "冯国强", nil},
	{grpChengguan1, dtChengguan, "董美华", nil},
	{grpChengguan2, dtChengguan, "袁德平", nil},
	{grpDongmen, dtChengguan, "王桂英", []string{"王桂英", "潘红梅", "蒋建平"}},
	{grpTaoyuan1, dtTaoyuan, "杜明亮", nil},
	{grpTaoyuan2, dtTaoyuan, "邱建国", nil},
	{grpBaisha1, dtBaisha, "谭国华", nil},
	{grpBaisha2, dtBaisha, "戴志成", nil},
	{grpShimen1, dtShimen, "金永康", nil},
	{grpShimen2, dtShimen, "毛玉珍", nil},
}

type demoDeputy struct {
	Name    string
	Level   Level
	Group   string
	Station string
	Bio     string
	Retired bool
}

// demoDeputies: 2 provincial, 6 city, 28 county and 24 township deputies,
// two of them retired. The first row is DemoSampleCodes' deputy. A street
// (街道) elects no township congress, so the deputies at 东溪街道's stations
// are county deputies or above; township deputies serve in the towns (镇).
var demoDeputies = []demoDeputy{
	// 省人大代表
	{"沈国良", LevelProvincial, grpProvincial, "城关镇人大代表之家", "青溪茶业专业合作社理事长，关注茶产业发展和山区农民增收。", false},
	{"何慧敏", LevelProvincial, grpProvincial, "东溪街道基层立法联系点", "县人民医院副院长、主任医师，关注基层医疗卫生和医保政策。", false},
	// 市人大代表
	{"吴志刚", LevelCity, grpCity, "城关镇人大代表之家", "县第一中学校长，关注城乡教育均衡和青少年心理健康。", false},
	{"许丽娟", LevelCity, grpCity, "滨江社区代表联络站", "滨江社区党委书记，关注老旧小区改造和居家养老服务。", false},
	{"钱文斌", LevelCity, grpCity, "青溪经济开发区代表联络站", "青溪精工机械有限公司总经理，关注营商环境和技能人才培养。", false},
	{"楼彩霞", LevelCity, grpCity, "桃源镇代表联络站", "桃源镇农技站站长，关注农业技术推广和粮食生产。", false},
	{"叶志强", LevelCity, grpCity, "白沙镇代表联络站", "水产养殖户，关注渔业转型和江河水环境保护。", false},
	{"方雅琴", LevelCity, grpCity, "石门镇代表联络站", "石门镇中心小学教师，关注乡村教育和留守儿童关爱。", false},
	// 县人大代表
	{"张海明", LevelCounty, grpChengguan, "城关镇人大代表之家", "南门社区居委会主任，关注社区治理和老城区停车难。", false},
	{"王桂英", LevelCounty, grpChengguan, "东门社区代表联络站", "个体工商户，在东门农贸市场经营多年，关注市场管理和食品安全。", false},
	{"李文涛", LevelCounty, grpChengguan, "西街社区代表联络站", "县人民医院外科医生，关注分级诊疗和院前急救。", false},
	{"赵春燕", LevelCounty, grpChengguan, "城关镇人大代表之家", "县实验幼儿园园长，关注学前教育和婴幼儿托育服务。", false},
	{"刘德胜", LevelCounty, grpChengguan, "西街社区代表联络站", "溪南村党支部书记，关注农村人居环境整治和村级集体经济。", false},
	{"陈立军", LevelCounty, grpDongxi, "东溪街道基层立法联系点", "律师事务所主任，关注基层立法和法律援助。", false},
	{"杨晓红", LevelCounty, grpDongxi, "滨江社区代表联络站", "滨江社区卫生服务中心护士长，关注社区医疗和慢病管理。", false},
	{"黄建平", LevelCounty, grpDongxi, "新华社区代表联络站", "物业服务企业负责人，关注物业管理和老旧住宅加装电梯。", false},
	{"朱美玲", LevelCounty, grpDongxi, "青溪经济开发区代表联络站", "开发区电子企业一线职工，关注职工权益和外来务工人员子女入学。", false},
	{"孙立伟", LevelCounty, grpDongxi, "东溪街道基层立法联系点", "县公安局交警大队民警，关注交通安全和校园周边秩序。", false},
	{"郑晓峰", LevelCounty, grpDongxi, "新华社区代表联络站", "原新华社区居委会主任，关注老年助餐和无障碍设施；因工作调动已辞去县人大代表职务。", true},
	{"程晓东", LevelCounty, grpDongxi, "滨江社区代表联络站", "望江社区居委会副主任，关注小区停车和电动自行车安全充电。", false},
	{"魏淑芬", LevelCounty, grpDongxi, "滨江社区代表联络站", "滨江社区志愿服务队队长，关注邻里互助和老年人防诈骗。", false},
	{"任志华", LevelCounty, grpDongxi, "新华社区代表联络站", "长桥社区党支部副书记，关注安置小区配套设施。", false},
	{"姜丽萍", LevelCounty, grpDongxi, "新华社区代表联络站", "新华小学教师，关注上下学交通安全和课后服务。", false},
	{"崔德华", LevelCounty, grpDongxi, "青溪经济开发区代表联络站", "金沙社区股份经济合作社董事长，关注集体资产管理和失地农民保障。", false},
	{"彭晓军", LevelCounty, grpDongxi, "东溪街道基层立法联系点", "街道法律服务所工作人员，关注矛盾纠纷调解和普法宣传。", false},
	{"徐长林", LevelCounty, grpTaoyuan, "桃源镇代表联络站", "桃源林场职工，关注森林防火和生态公益林保护。", false},
	{"胡玉兰", LevelCounty, grpTaoyuan, "桃花村代表联络站", "桃花村妇联主席，关注乡村旅游和农村妇女就业。", false},
	{"高德明", LevelCounty, grpTaoyuan, "桃源镇代表联络站", "上溪村党支部书记，关注山区道路和农村饮用水安全。", false},
	{"罗春花", LevelCounty, grpTaoyuan, "桃花村代表联络站", "民宿经营户，关注乡村旅游配套和农产品销售。", false},
	{"梁永福", LevelCounty, grpBaisha, "白沙镇代表联络站", "白沙镇卫生院院长，关注乡镇医疗和家庭医生签约服务。", false},
	{"宋金凤", LevelCounty, grpBaisha, "沙湾村代表联络站", "沙湾村党支部书记，关注防汛排涝和农田水利。", false},
	{"唐建军", LevelCounty, grpBaisha, "白沙镇代表联络站", "客运公司驾驶员，关注农村客运班线和道路安全。", false},
	{"韩小燕", LevelCounty, grpBaisha, "沙湾村代表联络站", "家庭农场主，关注高标准农田建设和农业保险。", false},
	{"冯国强", LevelCounty, grpShimen, "石门镇代表联络站", "竹木制品企业负责人，关注民营经济发展和安全生产。", false},
	{"邓翠萍", LevelCounty, grpShimen, "龙潭村代表联络站", "龙潭村乡村医生，关注村卫生室建设和老年人健康服务。", false},
	{"曹志明", LevelCounty, grpShimen, "茶山村代表联络站", "茶农，关注茶叶品牌建设和山区交通。", false},
	// 镇人大代表
	{"潘红梅", LevelTownship, grpChengguan1, "东门社区代表联络站", "东门社区专职网格员，关注背街小巷改造和垃圾分类。", false},
	{"蒋建平", LevelTownship, grpChengguan1, "东门社区代表联络站", "城东村村民委员会主任，关注征地安置和村道硬化。", false},
	{"蔡永红", LevelTownship, grpChengguan2, "西街社区代表联络站", "西街早餐店店主，关注老街消防安全和排水改造。", false},
	{"田立新", LevelTownship, grpChengguan2, "西街社区代表联络站", "城西村种植户，关注农村建房审批和宅基地管理。", false},
	{"董美华", LevelTownship, grpChengguan1, "城关镇人大代表之家", "城关镇中心卫生院全科医生，关注家庭医生签约和健康宣教。", false},
	{"袁德平", LevelTownship, grpChengguan2, "城关镇人大代表之家", "北关社区退役军人服务站站长，关注退役军人服务保障。", false},
	{"范春生", LevelTownship, grpTaoyuan1, "桃源镇代表联络站", "桃源集镇个体户，关注集镇环境卫生和农贸市场改造。", false},
	{"陆桂芳", LevelTownship, grpTaoyuan1, "桃源镇代表联络站", "梅岭村妇女主任，关注留守老人和留守儿童关爱。", false},
	{"邱建国", LevelTownship, grpTaoyuan2, "桃花村代表联络站", "杏林村杨梅种植户，关注农产品冷链物流和电商销售。", false},
	{"余秀兰", LevelTownship, grpTaoyuan2, "桃花村代表联络站", "竹坞村村民，关注山区公交和老人就医出行。", false},
	{"杜明亮", LevelTownship, grpTaoyuan1, "桃源镇代表联络站", "双溪村党支部书记，关注小流域治理和防汛安全。", false},
	{"夏兰英", LevelTownship, grpTaoyuan2, "桃花村代表联络站", "高峰村乡村医生，关注山区老人慢病随访。", false},
	{"钟水生", LevelTownship, grpBaisha1, "白沙镇代表联络站", "原白沙社区水电维修师傅，关注老旧管网改造；因迁居外地已辞去镇人大代表职务。", true},
	{"汪美娟", LevelTownship, grpBaisha1, "白沙镇代表联络站", "渡口村村民委员会委员，关注渡口安全和跨江出行。", false},
	{"戴志成", LevelTownship, grpBaisha2, "沙湾村代表联络站", "洲头村生猪养殖户，关注畜禽养殖污染治理。", false},
	{"石秀英", LevelTownship, grpBaisha2, "沙湾村代表联络站", "芦荡村村民，关注农村生活污水处理和河塘清淤。", false},
	{"谭国华", LevelTownship, grpBaisha1, "白沙镇代表联络站", "新塘村党支部书记，关注农田灌溉和机耕路建设。", false},
	{"廖小梅", LevelTownship, grpBaisha2, "沙湾村代表联络站", "丰收村种粮大户，关注粮食收购和农机购置补贴。", false},
	{"金永康", LevelTownship, grpShimen1, "石门镇代表联络站", "石门社区居委会主任，关注老街改造和消防通道畅通。", false},
	{"毛玉珍", LevelTownship, grpShimen2, "龙潭村代表联络站", "龙潭村民宿业主，关注乡村旅游和生活垃圾清运。", false},
	{"邵建忠", LevelTownship, grpShimen2, "龙潭村代表联络站", "水口村村民，关注山塘水库安全和地质灾害防治。", false},
	{"孔丽华", LevelTownship, grpShimen2, "茶山村代表联络站", "枫林村妇联主席，关注农村妇女创业就业。", false},
	{"熊志远", LevelTownship, grpShimen2, "茶山村代表联络站", "云峰村茶厂负责人，关注茶叶加工和农村用电保障。", false},
	{"万春梅", LevelTownship, grpShimen1, "石门镇代表联络站", "青石村小学教师，关注乡村校车和学生营养餐。", false},
}

// DemoCategoryShenghuo is the code of 生活服务, what voters raise about
// daily life. It was "minsheng" (民生实事) until that word was left to the
// yearly livelihood-project vote (民生实事项目票决); LoadDemo renames an
// existing row and CategoryByCode still takes the old code.
const DemoCategoryShenghuo = "shenghuo"

// demoRenamedCategories maps a former demo category code to the current one.
var demoRenamedCategories = map[string]string{"minsheng": DemoCategoryShenghuo}

// demoCategories are the opinion categories, in display order.
var demoCategories = []Category{
	{Code: DemoCategoryShenghuo, Name: "生活服务", Hint: "水电气、物业、养老托育等日常生活中的难事", AcceptDays: 2, ReplyDays: 15, SortOrder: 10},
	{Code: "chengxiang", Name: "城乡建设", Hint: "道路桥梁、老旧小区改造、违章建筑、农村建房", AcceptDays: 2, ReplyDays: 15, SortOrder: 20},
	{Code: "jiaotong", Name: "交通出行", Hint: "公交班次、停车难、红绿灯设置、道路安全隐患", AcceptDays: 2, ReplyDays: 15, SortOrder: 30},
	{Code: "jiaoyi", Name: "教育医疗", Hint: "入学入园、校园周边、看病就医、医保报销", AcceptDays: 2, ReplyDays: 15, SortOrder: 40},
	{Code: "shengtai", Name: "生态环境", Hint: "污水、垃圾、噪声、油烟、河道水质", AcceptDays: 2, ReplyDays: 15, SortOrder: 50},
	{Code: "shehui", Name: "社会治理", Hint: "邻里纠纷、治安隐患、网格服务、基层办事", AcceptDays: 2, ReplyDays: 15, SortOrder: 60},
	{Code: "lifa", Name: "立法意见", Hint: "对法律法规草案和地方立法项目的意见建议", AcceptDays: 2, ReplyDays: 10, SortOrder: 70},
	{Code: "qita", Name: "其他", Hint: "以上类别都不合适时选这里", AcceptDays: 2, ReplyDays: 15, SortOrder: 80},
}

// demoDepartments are the county departments opinions are transferred to.
var demoDepartments = []Department{
	{Name: "县住建局", Contact: "办公室 林晓峰", Phone: "0571-63860101"},
	{Name: "县交通运输局", Contact: "综合科 周敏", Phone: "0571-63860202"},
	{Name: "县教育局", Contact: "办公室 陈思远", Phone: "0571-63860303"},
	{Name: "县卫健局", Contact: "医政科 孙丽", Phone: "0571-63860404"},
	{Name: "县生态环境分局", Contact: "执法队 马俊杰", Phone: "0571-63860505"},
	{Name: "县民政局", Contact: "社会救助科 黄雅婷", Phone: "0571-63860606"},
	{Name: "县自然资源和规划局", Contact: "办公室 吕志华", Phone: "0571-63860707"},
	{Name: "县农业农村局", Contact: "农村经营管理科 柳青松", Phone: "0571-63860808"},
}

type demoStaff struct {
	Name    string
	Role    StaffRole
	Station string // empty for the admin, who sees every station
}

// demoStaffRows: a head and a clerk for the first four stations, and one
// congress-office admin. None has a password or openid yet.
var demoStaffRows = []demoStaff{
	{"俞文华", RoleHead, "城关镇人大代表之家"},
	{"柴晓丽", RoleClerk, "城关镇人大代表之家"},
	{"应建明", RoleHead, "东门社区代表联络站"},
	{"章佳怡", RoleClerk, "东门社区代表联络站"},
	{"鲍志红", RoleHead, "西街社区代表联络站"},
	{"严少波", RoleClerk, "西街社区代表联络站"},
	{"傅国伟", RoleHead, "东溪街道基层立法联系点"},
	{"吕佳琪", RoleClerk, "东溪街道基层立法联系点"},
	{"项海燕", RoleAdmin, ""},
}
