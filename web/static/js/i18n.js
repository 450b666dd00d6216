// i18n.js -- the page's words in Chinese (first) and English. The language comes from the
// switch (kept in localStorage), else from the browser's Accept-Language preferences.
const zh = {
  title: '链接快照平台', tagline: '输入网页链接，自动生成快照 · 标签化管理网页链接',
  skip: '跳到正文', nav: '主导航', loading: '加载中…',
  nav_add: '添加链接', nav_links: '链接管理', nav_tags: '标签', nav_stats: '统计', nav_import: '导入',
  add_heading: '添加链接', add_urls: '网页链接（每行一个）', add_urls_ph: 'https://example.com/article',
  add_tags: '标签（用逗号分隔）', add_tags_ph: '阅读, 数据库', add_capture: '立即生成快照', add_submit: '添加',
  add_none: '请输入至少一个链接', add_result: '刚刚添加', add_added: '已添加', add_exists: '已保存过',
  add_exists_queued: '已保存过:没有完好的快照,已开始截图', add_exists_running: '已保存过:截图已在进行中',
  add_exists_good: '已保存过:已有完好的快照,未重新截图',
  add_open: '查看', add_failed: '添加失败',
  st_queued: '排队中', st_running: '快照中', st_ok: '已完成', st_partial: '部分完成', st_failed: '失败',
  st_canceled: '已取消', st_done: '已完成', st_none: '无快照',
  http_400: '请求错误', http_401: '需要登录', http_403: '禁止访问', http_404: '未找到', http_405: '方法不允许',
  http_408: '请求超时', http_410: '已删除', http_429: '请求过多', http_451: '因法律原因不可用',
  http_500: '服务器错误', http_502: '网关错误', http_503: '服务不可用', http_504: '网关超时', http_error: '网站返回错误',
  broken: '失效链接',
  st_blocked: '被拦截', nav_sites: '站点规则',
  links_heading: '链接管理', search: '搜索', search_ph: '网址、标题、描述或网页正文', untagged: '无标签',
  mode: '点击标签时', mode_all: '全部包含', mode_any: '任一包含', mode_none: '都不包含',
  filters: '筛选', clear: '清除筛选', view_grid: '网格', view_list: '列表', view: '显示',
  count_shown: '已显示 {n} 条', no_links: '没有符合条件的链接', more: '加载更多', end: '没有更多了',
  select: '选择', selected: '已选 {n} 条', sel_tag: '标签', sel_add: '加标签', sel_remove: '去标签',
  sel_recapture: '重新快照', sel_delete: '删除', sel_clear: '取消选择', confirm_delete: '删除 {n} 条链接及其快照？',
  done_n: '已处理 {n} 条', recapture_missing: '快照功能尚未启用', tag_of: '标签：',
  detail_back: '返回列表', detail_open: '打开原网页', detail_title: '标题', detail_desc: '描述',
  detail_save: '保存', detail_saved: '已保存', detail_tags: '标签', detail_add_tag: '添加标签',
  detail_recapture: '重新快照', detail_delete: '删除链接', detail_history: '快照历史',
  detail_noshot: '还没有快照图片', detail_shot: '整页快照', detail_remove_tag: '移除标签 {t}',
  h_state: '状态', h_http: 'HTTP', h_final: '最终网址', h_when: '时间', h_timings: '耗时 (ms)', h_error: '错误',
  h_shaped: '处理', fid_rule: '站点规则 {m}', fid_consent: '已隐藏同意横幅（{m}；{n} 个元素）',
  fid_hide: '规则隐藏 {m}', fid_wall: '机器人拦截：{m}', fid_wait: '等待选择器：{m}',
  h_size: '尺寸', not_found: '找不到这个链接',
  sort: '排序', sort_auto: '默认', sort_relevance: '相关度', sort_added: '添加时间', sort_title: '标题',
  sort_captured: '快照时间', sort_host: '网站',
  detail_downloads: '下载', dl_png: 'PNG 截图', dl_mhtml: 'MHTML 网页存档', dl_pdf: 'PDF', dl_text: '文本 (.txt)',
  dl_mhtml_hint: 'MHTML 下载后可在 Chromium 或 Edge 中打开', detail_read: '阅读视图',
  read_back: '返回链接', read_shot: '查看截图', read_txt: '下载文本', read_none: '这个快照没有保存文字',
  read_cut: '网页的文字超过上限（text_max_kb），其余部分没有保存。', read_source: '来源：{m}',
  read_plain: '这个网页不是文章，下面是它的全部可见文字。', read_captured: '快照于 {m}',
  tags_heading: '标签', tag_name: '标签', tag_count: '链接数', tag_actions: '操作', tag_rename: '重命名',
  tag_delete: '删除', tag_merge: '合并所选到', tag_merge_btn: '合并', tag_none: '还没有标签',
  tag_confirm_delete: '从 {n} 条链接上去掉标签「{t}」？', tag_new_name: '新名称', tags_chart: '标签分布',
  chart_missing: '图表功能尚未启用', select_tag: '选择 {t}',
  stats_heading: '统计', period: '时间范围', days_n: '{n} 天', all_tags: '全部标签', queue: '队列',
  q_queued: '排队', q_running: '进行中', q_links: '链接', q_snapshots: '快照', q_tags: '标签',
  ep_heading: '浏览器', ep_name: '名称', ep_state: '状态', ep_running: '进行中/容量', ep_done: '完成',
  ep_failed: '失败', ep_retried: '重试', ep_rtt: '往返', ep_error: '最近的错误',
  ep_st_ready: '就绪', ep_st_starting: '启动中', ep_st_down: '不可用', ep_st_draining: '正在退出',
  ep_st_quarantined: '暂停使用', ep_st_off: '未运行', ep_st_stopping: '停止中', ms_n: '{n} 毫秒',
  chart_tags: '标签', chart_timeline: '时间线', chart_outcomes: '快照结果', jobs: '任务',
  chart_table: '数据表', col_tag: '标签', col_links: '链接数', col_day: '日期', col_added: '新增链接',
  col_ok: '成功', col_partial: '部分', col_failed: '失败', col_blocked: '被拦截', col_http_error: 'HTTP 错误',
  import_heading: '导入', import_file: '文件（书签 HTML、CSV、JSONL、JSON 或纯文本）', import_format: '格式',
  fmt_auto: '自动识别', import_tags: '给每个链接加标签', import_capture: '为新链接生成快照',
  import_submit: '开始导入', import_running: '导入中…', import_done: '导入完成', import_failed: '导入失败',
  i_lines: '行数', i_added: '新增', i_existing: '已存在', i_invalid: '无效', i_line: '行', i_reason: '原因',
  import_pick: '请选择文件',
  login_heading: '需要访问令牌', login_token: '访问令牌', login_submit: '登录', login_wrong: '令牌不正确',
  login_where: '令牌在运行 linksnapd 的机器上：在那里运行 linksnap web，它会打印带令牌的登录地址。令牌是配置项 http.token（或 http.token_file 指向的文件），没有设置时在 状态目录/http.token。',
  // changes view and history figures (page_changes.js)
  nav_changes: '新变化', ch_heading: '新变化', ch_open: '查看差异', ch_compare: '与上一次比较',
  ch_pct: '{p} 有变化', ch_unchanged: '无变化', h_change: '变化',
  ch_none: '还没有变化。一个链接重新快照后，如果和上一次完好的快照不同，就会出现在这里。',
  ch_missing: '这个 linksnapd 还不能列出变化',
  diff_heading: '变化对比', diff_old: '旧', diff_new: '新', diff_view: '显示方式', diff_slider: '滑动对比',
  diff_overlay: '标出变化', diff_side: '并排', diff_pos: '新旧快照的分界位置', diff_back: '返回新变化',
  diff_link: '查看链接', diff_regions: '{n} 处区域', diff_text: '文字变化', diff_added: '新增的文字（{n} 段）',
  diff_removed: '删除的文字（{n} 段）', diff_no_text: '文字没有变化', diff_same: '两次快照的截图完全相同，没有可标出的变化。',
  diff_overlay_cap: '新快照上标出了变化的区域，删除的内容标在原来的位置。', diff_overlay_alt: '标出变化区域的新快照',
  diff_width: '两次快照宽度不同（{a} 和 {b} 像素），按共同的 {c} 像素比较',
  w_heading: '监视计划', w_none: '还没有监视计划。添加监视的命令：', w_target: '链接或标签',
  w_every: '间隔', w_links: '链接数', w_next: '下次运行', w_last: '上次运行', w_tag: '标签',
  dur_s: '{n} 秒', dur_min: '{n} 分钟', dur_h: '{n} 小时', dur_d: '{n} 天',
  // the shot viewer (viewer.js, page_detail.js)
  v_open: '查看大图', v_fit: '适应宽度', v_actual: '原始大小 (100%)', v_double: '放大到 200%', v_zoom_in: '放大',
  v_zoom_out: '缩小', v_png: 'PNG 原图', v_close: '关闭', v_label: '截图查看器', v_tools: '缩放', v_pane: '截图（可滚动）',
  v_keys: '+ / − 缩放 · 0 原始大小 · F 适应宽度 · 方向键移动 · Esc 关闭',
  error: '出错了：{m}', lang_switch: 'English', lang_label: '切换到英文',
  // the links total, select all, the bookmarklet, shortcuts and theme (webday23)
  total: '共 {n} 个链接', total_one: '共 1 个链接', sel_all_shown: '全选已显示的',
  export: '导出（当前筛选的全部链接）：', export_netscape: '书签 HTML', export_jsonl: 'JSON Lines', export_csv: 'CSV',
  sel_all_matching: '选择全部 {n} 个符合条件的链接', selected_all: '已选符合条件的全部 {n} 条',
  add_title: '标题（可选，只用于一个链接）', bm_heading: '书签小工具', bm_link: '保存到链接快照',
  bm_hint: '把这个链接拖到浏览器的书签栏。在任意网页上点它，会打开添加表单，并填好那个网页的网址和标题。',
  bm_click: '请把它拖到书签栏，不要点击',
  theme_auto: '自动配色', theme_light: '浅色', theme_dark: '深色', theme_label: '配色（自动、浅色、深色）',
  keys_heading: '键盘快捷键', key_search: '搜索链接', key_add: '添加链接', key_next: '下一个链接',
  key_prev: '上一个链接', key_open: '打开选中的链接', key_help: '显示快捷键', key_close: '关闭',
  // why a capture is partial, by its code (docs/capture.md); an unknown code shows the
  // daemon's English sentence
  reason_list: '（{list}）', reason_sep: '、', reason_more: ' 等',
  reason_requests_pending: '截止时仍有 {count} 个请求未完成{hosts}',
  reason_load_event: '页面在 {seconds} 秒内未加载完成（load 事件未触发）',
  reason_fonts_loading: '网页字体仍在加载{families}',
  reason_wait_for_missing: '等待的元素 {selector} 未在时限内出现',
  reason_images_pending: '仍有 {count} 张图片在加载',
  reason_lazy_cut: '懒加载滚动到时被截断（已滚动 {steps} 步）',
  reason_script_silent: '页面脚本未在时限内响应',
  reason_format_timed_out: '附加格式保存超时', reason_ignore_failed: '忽略区域未能测量',
  reason_text_failed: '未能保存网页正文', reason_mhtml_failed: 'MHTML 未能保存',
  reason_mhtml_too_big: 'MHTML 超过大小上限', reason_pdf_failed: 'PDF 未能保存',
  reason_consent_failed: 'Cookie 同意弹窗处理失败', reason_lazy_failed: '懒加载处理失败',
  reason_files_error: '文件未能写入',
  // why a capture failed or was blocked, by its code (docs/capture.md)
  reason_dns_failed: '域名 {host} 无法解析（{net_error}）', reason_connection_failed: '网站 {host} 拒绝或断开了连接（{net_error}）',
  reason_net_error: '打开 {host} 时出现网络错误（{net_error}）', reason_address_refused: '出口规则不允许访问这个地址',
  reason_timed_out: '截止时间已到，未能截图', reason_renderer_crashed: '页面渲染进程崩溃',
  reason_browser_lost: '截图时浏览器退出了', reason_download: '这个网址是下载文件，不是网页',
  reason_no_image: '截图没有返回图像', reason_browser_error: '浏览器命令失败', reason_out_of_memory: '内存不足',
  reason_canceled: '已取消', reason_save_failed: '图像已截取但未能保存', reason_capture_failed: '未能截图',
  reason_blocked: '被 {wall} 拦截（HTTP {http_status}）', reason_attempts: '（共尝试 {n} 次）',
  wall_rate_limited: '访问频率限制', wall_hcaptcha: 'hCaptcha 验证', wall_recaptcha: 'reCAPTCHA 验证',
  wall_cloudflare: 'Cloudflare 验证', wall_datadome: 'DataDome 验证', wall_perimeterx: 'PerimeterX 验证', wall_akamai: 'Akamai 验证',
  // error codes beside the daemon's English messages (protocol/errcode.c, docs/protocol.md)
  e_url_too_long: '网址太长（超过 {max} 字节）', e_url_empty: '网址是空的', e_url_control_char: '网址含有控制字符',
  e_url_no_scheme: '不是网址：应以 http:// 或 https:// 开头', e_url_not_a_url: '不是网址：{text}（应以 http:// 或 https:// 开头）',
  e_url_no_host: '不是有效的网址：没有主机名', e_url_invalid: '不是有效的网址', e_url_bad_scheme: '不支持的网址协议 {scheme}（只支持 http 和 https）',
  e_url_punycode: '主机名无法转换为 punycode', e_url_bad_port: '端口 {port} 无效', e_tag_bad_utf8: '标签不是有效的 UTF-8',
  e_tag_control_char: '标签「{tag}」含有控制字符', e_tag_comma: '标签「{tag}」含有逗号（标签之间用逗号分隔）', e_tag_empty: '标签是空的',
  e_tag_too_long: '标签「{tag}…」超过 {max} 个字符', e_link_not_found: '找不到这个链接', e_snapshot_not_found: '找不到快照 {id}',
  e_snapshot_no_text: '快照 {id} 没有保存文字', e_job_not_found: '找不到任务 {id}', e_import_not_found: '找不到导入 {id}',
  e_watch_not_found: '找不到监视计划 {id}', e_tag_not_found: '没有标签「{tag}」', e_tag_is_alias: '标签「{tag}」已合并到「{target}」，是它的别名',
  e_tag_not_alias: '「{tag}」不是别名', e_tags_merge_none: '要合并的标签都不存在', e_site_no_rule: '没有站点规则匹配 {url}',
  e_job_ended: '任务 {id} 已经结束，无法取消', e_param_missing: '缺少参数 {param}',
  e_param_range: '参数 {param} 应在 {min} 到 {max} 之间，收到的是 {got}', e_param_nul: '参数 {param} 不能含有 NUL 字符',
  e_param_too_many: '参数 {param} 的元素太多（最多 {max} 个）', e_param_unknown: '未知参数 {param}',
  e_param_text: '参数 {param} 应是不含控制字符、最多 {max} 字节的非空文字', e_param_duration: '参数 {param} 应是秒数或时长，例如 90s、30m、6h、1d、2w',
  e_param_exclusive: '{a} 和 {b} 只能给一个', e_param_recapture: '重新快照（recapture）需要同时设置 capture: true',
  e_q_too_long: '搜索词太长（最多 {max} 个字符）', e_bad_cursor: '分页位置无效，请重新加载列表',
  e_too_many_links: '符合条件的链接超过 {max} 个，一次最多重新快照 {max} 个：请缩小筛选范围', e_import_content_too_big: '导入的内容超过 64 MiB',
  e_import_bad_format: '未知的导入格式（可选 auto、text、netscape、csv、jsonl、json）', e_import_path_refused: '网页不能指定服务器上的文件，请上传文件',
  e_import_url_too_long: '网址超过 {max} 字节', e_import_no_url: '这一条没有网址', e_import_url_nul: '网址含有 NUL 字节',
  e_import_url_utf8: '网址不是有效的 UTF-8', e_import_csv_empty_url: '这一行的 url 字段是空的',
  e_import_csv_too_long: '这一行超过 {max} 字节（引号没有配对？）', e_import_csv_unterminated: '文件末尾的引号字段没有结束',
  e_import_csv_no_header: 'CSV 文件没有标题行', e_import_csv_no_url_column: 'CSV 标题行没有网址列（列名应为 url、href 或 link）',
  e_import_line_too_long: '这一行超过 {max} 字节', e_import_json_too_long: 'JSON 元素超过 {max} 字节',
  e_import_json_bad_close: 'JSON 数组被 } 结束', e_import_json_trailing: 'JSON 值结束后的内容已忽略',
  e_import_json_cut: 'JSON 元素在文件末尾被截断', e_import_json_not_closed: 'JSON 在文件末尾没有结束（文件不完整？）',
  e_import_json_invalid: '不是有效的 JSON', e_import_json_not_object: 'JSON 值不是对象',
  e_import_json_not_link: '这一条不是链接（没有 url 字段）', e_import_json_no_url: '对象没有 url 字段',
  e_import_json_url_type: 'url 字段不是文字', e_import_json_top: 'JSON 输入应是数组或对象', e_import_json_malformed: 'JSON 对象格式不对',
  e_import_json_empty: '输入里没有 JSON 值',
  e_import_json_no_array: 'JSON 对象里没有书签数组（键名应为 bookmarks、results、items、links、posts 或 data）',
  e_import_folders_too_deep: '文件夹嵌套超过 {max} 层，更深的文件夹名不会成为标签', e_import_bookmark_cut: '书签在文件末尾被截断',
  e_site_match_empty: '匹配是空的：请填写主机、主机:端口或网址前缀', e_site_match_too_long: '匹配超过 {max} 字节',
  e_site_match_utf8: '匹配不是有效的 UTF-8', e_site_match_space: '匹配含有空格或控制字符',
  e_site_match_bad: '「{match}」不是主机、主机:端口或 http(s) 网址', e_site_match_no_host: '「{match}」没有主机名',
  e_site_match_path: '「{match}」带有路径：请写带协议的网址前缀（https://host/path）', e_site_match_query: '「{match}」：主机匹配不能带查询、片段或用户名',
  e_site_match_punycode: '「{match}」的主机名无法转换为 punycode', e_site_match_port: '「{match}」的端口无效',
  e_site_viewport: '视口应为宽 320 到 3840、高 240 到 2160 像素', e_site_header_name: '规则不能设置请求头 {header}',
  e_site_header_value: '请求头 {header} 的值应是最多 4096 字节、不含换行和控制字符的文字', e_site_too_many_cookies: '规则的 Cookie 会超过 {max} 个',
  e_watch_every_required: '请填写间隔（秒数，或 6h、1d 这样的时长）', e_watch_every_range: '间隔应在 {min} 秒到一年之间，收到的是 {got} 秒',
  e_watch_jitter: '抖动（{jitter} 秒）最多为间隔（{every} 秒）的一半', e_watch_threshold: '阈值应是 0 到 1 之间的页面比例（0.001 即 0.1%）',
  e_watch_target: '请指定一个链接（link_id）或一个标签', e_cookies_txt_too_big: 'cookies.txt 文件超过 {max} 字节', e_cookies_txt_unusable: '文件里没有可用的 Cookie（{bad} 行无效）：应是每行 7 个以 Tab 分隔字段的 Netscape cookies.txt',
  e_cookies_txt_other_domains: '文件里没有 {host} 的 Cookie：跳过了 {n} 个其他域名的 Cookie（{domains}）',
  e_diff_cross_link: '快照 {from} 和 {to} 属于不同的链接（{a} 和 {b}），不能直接比较', e_snapshot_no_screenshot: '快照 {id} 没有截图（状态：{state}）',
  e_diff_needs_two: '链接 {id} 只有 {n} 次带截图的成功快照，比较需要两次', e_shutting_down: 'linksnapd 正在停止，请在它重启后再试',
  e_store_busy: '数据库被另一个进程锁住，请稍后再试', e_param_type: '参数 {param} 的类型或取值不对', e_not_found: '找不到 {what} {id}',
  e_auth_too_many: '错误的令牌太多，请一分钟后再试', e_auth_wrong_token: '令牌不正确', e_auth_login: '需要访问令牌：在运行 linksnapd 的机器上运行 linksnap web 获取登录地址', e_upload_too_big: '上传的文件最多 {max} MiB',
  e_site_selector_empty: '第 {n} 个选择器是空的或超过 512 字节', e_site_selector_bad: '选择器 {sel} 含有 {、}、;、< 或注释：请填写普通的 CSS 选择器', e_site_selector_utf8: '第 {n} 个选择器不是有效的 UTF-8', e_site_selectors_too_many: '最多 100 个选择器', e_site_cookie_name: 'Cookie 名称只能含字母、数字和 !#$%&\'*+-.^_`|~', e_site_cookie_value: 'Cookie {cookie} 的值最多 4096 字节，不能含 ;、\\ 或控制字符', e_site_cookie_domain: 'Cookie {cookie} 的域名应是主机名', e_site_cookie_outside: 'Cookie {cookie} 的域名 {domain} 不在这条规则的匹配范围内', e_site_cookie_path: 'Cookie {cookie} 的路径应以 / 开头', e_site_too_many_headers: '规则的请求头会超过 {max} 个',
  e_site_endpoints_list: '参数 endpoints 应是 1 到 {max} 个浏览器端点名称的数组（linksnapd.conf 中的 browser.endpoint.NAME）', e_site_endpoint_name: '第 {i} 项不是端点名称（1 到 {max} 个字母、数字、- 或 _）', e_site_endpoint_twice: '端点 {endpoint} 重复出现', e_site_endpoint_unknown: 'linksnapd 没有名为 {endpoint} 的端点；已有的端点：{known}',
};
const en = {
  title: 'Link snapshots', tagline: 'Enter a link, get a snapshot · manage links with tags',
  skip: 'Skip to content', nav: 'Main', loading: 'Loading…',
  nav_add: 'Add', nav_links: 'Links', nav_tags: 'Tags', nav_stats: 'Stats', nav_import: 'Import',
  add_heading: 'Add links', add_urls: 'Links (one per line)', add_urls_ph: 'https://example.com/article',
  add_tags: 'Tags (comma separated)', add_tags_ph: 'reading, database', add_capture: 'Capture now', add_submit: 'Add',
  add_none: 'Enter at least one link', add_result: 'Just added', add_added: 'added', add_exists: 'already saved',
  add_exists_queued: 'already saved: it had no good snapshot, so a capture is queued',
  add_exists_running: 'already saved: a capture is already on its way',
  add_exists_good: 'already saved, with a good snapshot: not captured again',
  add_open: 'Open', add_failed: 'could not add',
  st_queued: 'queued', st_running: 'capturing', st_ok: 'done', st_partial: 'partial', st_failed: 'failed',
  st_canceled: 'canceled', st_done: 'done', st_none: 'no snapshot',
  http_400: 'Bad Request', http_401: 'Unauthorized', http_403: 'Forbidden', http_404: 'Not Found',
  http_405: 'Method Not Allowed', http_408: 'Request Timeout', http_410: 'Gone', http_429: 'Too Many Requests',
  http_451: 'Unavailable For Legal Reasons', http_500: 'Internal Server Error', http_502: 'Bad Gateway',
  http_503: 'Service Unavailable', http_504: 'Gateway Timeout', http_error: 'Site error',
  broken: 'Broken links',
  st_blocked: 'blocked', nav_sites: 'Sites',
  links_heading: 'Links', search: 'Search', search_ph: 'URL, title, description or page text', untagged: 'Untagged',
  mode: 'Clicking a tag', mode_all: 'all of', mode_any: 'any of', mode_none: 'none of',
  filters: 'Filters', clear: 'Clear filters', view_grid: 'Grid', view_list: 'List', view: 'View',
  count_shown: '{n} shown', no_links: 'No links match', more: 'Load more', end: 'That is all',
  select: 'Select', selected: '{n} selected', sel_tag: 'Tag', sel_add: 'Add tag', sel_remove: 'Remove tag',
  sel_recapture: 'Re-capture', sel_delete: 'Delete', sel_clear: 'Clear selection', confirm_delete: 'Delete {n} links and their snapshots?',
  done_n: '{n} done', recapture_missing: 'Capturing is not enabled yet', tag_of: 'Tags: ',
  detail_back: 'Back to links', detail_open: 'Open original', detail_title: 'Title', detail_desc: 'Description',
  detail_save: 'Save', detail_saved: 'Saved', detail_tags: 'Tags', detail_add_tag: 'Add tag',
  detail_recapture: 'Re-capture', detail_delete: 'Delete link', detail_history: 'Snapshot history',
  detail_noshot: 'No screenshot yet', detail_shot: 'Full-page snapshot', detail_remove_tag: 'Remove tag {t}',
  h_state: 'State', h_http: 'HTTP', h_final: 'Final URL', h_when: 'When', h_timings: 'Timings (ms)', h_error: 'Error',
  h_shaped: 'Shaped by', fid_rule: 'site rule {m}', fid_consent: 'consent hidden ({m}; {n} elements)',
  fid_hide: 'hidden by rule: {m}', fid_wall: 'bot wall: {m}', fid_wait: 'wait_for {m}',
  h_size: 'Size', not_found: 'No such link',
  sort: 'Sort', sort_auto: 'default', sort_relevance: 'relevance', sort_added: 'added', sort_title: 'title',
  sort_captured: 'captured', sort_host: 'site',
  detail_downloads: 'Downloads', dl_png: 'PNG screenshot', dl_mhtml: 'MHTML page archive', dl_pdf: 'PDF', dl_text: 'Text (.txt)',
  dl_mhtml_hint: 'MHTML opens from a file in Chromium or Edge', detail_read: 'Reader view',
  read_back: 'Back to the link', read_shot: 'Screenshot', read_txt: 'Download text', read_none: 'This snapshot kept no text',
  read_cut: 'The page had more text than the limit (text_max_kb); the rest was not kept.', read_source: 'Source: {m}',
  read_plain: 'Not an article: the page’s visible text follows.', read_captured: 'Captured {m}',
  tags_heading: 'Tags', tag_name: 'Tag', tag_count: 'Links', tag_actions: 'Actions', tag_rename: 'Rename',
  tag_delete: 'Delete', tag_merge: 'Merge selected into', tag_merge_btn: 'Merge', tag_none: 'No tags yet',
  tag_confirm_delete: 'Remove tag “{t}” from {n} links?', tag_new_name: 'New name', tags_chart: 'Tags',
  chart_missing: 'Charts are not enabled yet', select_tag: 'Select {t}',
  stats_heading: 'Stats', period: 'Period', days_n: '{n} days', all_tags: 'All tags', queue: 'Queue',
  q_queued: 'queued', q_running: 'running', q_links: 'links', q_snapshots: 'snapshots', q_tags: 'tags',
  ep_heading: 'Browsers', ep_name: 'name', ep_state: 'state', ep_running: 'running/slots', ep_done: 'done',
  ep_failed: 'failed', ep_retried: 'retried', ep_rtt: 'round trip', ep_error: 'last error',
  ep_st_ready: 'ready', ep_st_starting: 'starting', ep_st_down: 'down', ep_st_draining: 'draining',
  ep_st_quarantined: 'quarantined', ep_st_off: 'off', ep_st_stopping: 'stopping', ms_n: '{n} ms',
  chart_tags: 'Tags', chart_timeline: 'Timeline', chart_outcomes: 'Outcomes', jobs: 'Jobs',
  chart_table: 'Table', col_tag: 'Tag', col_links: 'Links', col_day: 'Day', col_added: 'Links added',
  col_ok: 'ok', col_partial: 'partial', col_failed: 'failed', col_blocked: 'blocked', col_http_error: 'http error',
  import_heading: 'Import', import_file: 'File (bookmarks HTML, CSV, JSONL, JSON or plain text)', import_format: 'Format',
  fmt_auto: 'detect', import_tags: 'Tags for every link', import_capture: 'Capture new links',
  import_submit: 'Import', import_running: 'Importing…', import_done: 'Import finished', import_failed: 'Import failed',
  i_lines: 'Lines', i_added: 'Added', i_existing: 'Existing', i_invalid: 'Invalid', i_line: 'Line', i_reason: 'Reason',
  import_pick: 'Choose a file',
  login_heading: 'Access token needed', login_token: 'Access token', login_submit: 'Log in', login_wrong: 'Wrong token',
  login_where: 'The token is on the machine that runs linksnapd: run linksnap web there and it prints a login address with the token in it. It is the setting http.token (or the file http.token_file names), else STATE_DIR/http.token.',
  // changes view and history figures (page_changes.js)
  nav_changes: 'Changes', ch_heading: 'Changes', ch_open: 'Show the diff', ch_compare: 'Compare with previous',
  ch_pct: '{p} changed', ch_unchanged: 'unchanged', h_change: 'Change',
  ch_none: 'No changes yet. When a new capture of a link differs from its last good one, it shows here.',
  ch_missing: 'This linksnapd cannot list changes yet',
  diff_heading: 'What changed', diff_old: 'Old', diff_new: 'New', diff_view: 'Show', diff_slider: 'Slider',
  diff_overlay: 'Overlay', diff_side: 'Side by side', diff_pos: 'Where the new capture meets the old',
  diff_back: 'Back to changes', diff_link: 'Open the link', diff_regions: '{n} regions', diff_text: 'Text',
  diff_added: 'Text added ({n})', diff_removed: 'Text removed ({n})', diff_no_text: 'The text did not change',
  diff_same: 'The two screenshots are identical: nothing to outline.',
  diff_overlay_cap: 'The new capture with the changed regions outlined; removed content is marked where it was.',
  diff_overlay_alt: 'The new capture with its changes outlined',
  diff_width: 'the captures differ in width ({a} and {b} px): compared on the common {c} px',
  w_heading: 'Watches', w_none: 'No watches yet. Add one with:', w_target: 'Link or tag',
  w_every: 'Every', w_links: 'Links', w_next: 'Next run', w_last: 'Last run', w_tag: 'tag',
  dur_s: '{n} s', dur_min: '{n} min', dur_h: '{n} h', dur_d: '{n} d',
  // the shot viewer (viewer.js, page_detail.js)
  v_open: 'Full size', v_fit: 'Fit width', v_actual: 'Actual size (100%)', v_double: 'Zoom to 200%', v_zoom_in: 'Zoom in',
  v_zoom_out: 'Zoom out', v_png: 'PNG file', v_close: 'Close', v_label: 'Screenshot viewer', v_tools: 'Zoom', v_pane: 'Screenshot (scrolls)',
  v_keys: '+ / − zoom · 0 actual size · F fit width · arrows pan · Esc close',
  error: 'Something failed: {m}', lang_switch: '中文', lang_label: 'Switch to Chinese',
  // the links total, select all, the bookmarklet, shortcuts and theme (webday23)
  total: '{n} links', total_one: '1 link', sel_all_shown: 'Select all shown',
  export: 'Export (every link this filter matches):', export_netscape: 'Bookmarks HTML', export_jsonl: 'JSON Lines', export_csv: 'CSV',
  sel_all_matching: 'Select all {n} that match', selected_all: 'All {n} that match selected',
  add_title: 'Title (optional, for one link)', bm_heading: 'Bookmarklet', bm_link: 'Save to linksnap',
  bm_hint: 'Drag this link to your browser’s bookmarks bar. Click it on any page to open the add form with that page’s address and title filled in.',
  bm_click: 'Drag it to the bookmarks bar rather than clicking it',
  theme_auto: 'Auto theme', theme_light: 'Light', theme_dark: 'Dark', theme_label: 'Theme (auto, light, dark)',
  keys_heading: 'Keyboard shortcuts', key_search: 'Search links', key_add: 'Add links', key_next: 'Next link',
  key_prev: 'Previous link', key_open: 'Open the selected link', key_help: 'Show the shortcuts', key_close: 'Close',
  reason_list: ' ({list})', reason_sep: ', ', reason_more: ', ...',
  reason_requests_pending: 'requests still pending: {count}{hosts}',
  reason_load_event: 'the load event had not fired within {seconds} s',
  reason_fonts_loading: 'web fonts were still loading{families}',
  reason_wait_for_missing: 'the wait_for selector {selector} did not appear in time',
  reason_images_pending: 'images still loading: {count}',
  reason_lazy_cut: 'the lazy-content pass was cut after {steps} scroll steps',
  reason_script_silent: "the page's script did not answer in time",
  reason_format_timed_out: 'a kept format timed out', reason_ignore_failed: 'ignored elements were not measured',
  reason_text_failed: "the page's text was not kept", reason_mhtml_failed: 'the MHTML was not kept',
  reason_mhtml_too_big: 'the MHTML was over its size cap', reason_pdf_failed: 'the PDF was not kept',
  reason_consent_failed: 'the consent pass failed', reason_lazy_failed: 'the lazy-content pass failed',
  reason_files_error: 'a file could not be written',
  reason_dns_failed: 'the name {host} did not resolve ({net_error})', reason_connection_failed: 'the site {host} refused or reset the connection ({net_error})',
  reason_net_error: 'a network error opening {host} ({net_error})', reason_address_refused: 'the egress rules refuse this address',
  reason_timed_out: 'the deadline passed before a picture came', reason_renderer_crashed: "the page's renderer crashed",
  reason_browser_lost: 'the browser went away during the capture', reason_download: 'the address is a download, not a page',
  reason_no_image: 'the screenshot came back without an image', reason_browser_error: 'a browser command failed', reason_out_of_memory: 'out of memory',
  reason_canceled: 'canceled', reason_save_failed: 'the picture came but could not be kept', reason_capture_failed: 'the capture failed',
  reason_blocked: 'blocked by {wall} (HTTP {http_status})', reason_attempts: ' ({n} attempts)',
  wall_rate_limited: 'rate limiting', wall_hcaptcha: 'an hCaptcha check', wall_recaptcha: 'a reCAPTCHA check',
  wall_cloudflare: "Cloudflare's challenge", wall_datadome: 'DataDome', wall_perimeterx: 'PerimeterX', wall_akamai: 'Akamai',
  // error codes beside the daemon's English messages (protocol/errcode.c, docs/protocol.md)
  e_url_too_long: 'URL too long (over {max} bytes)', e_url_empty: 'Empty URL',
  e_url_control_char: 'The URL contains a control character',
  e_url_no_scheme: 'Not a URL: expected http:// or https://',
  e_url_not_a_url: 'Not a URL: {text} (expected http:// or https://)',
  e_url_no_host: 'Not a valid URL: it has no host', e_url_invalid: 'Not a valid URL',
  e_url_bad_scheme: 'Unsupported URL scheme {scheme} (only http and https)',
  e_url_punycode: 'The host name could not be converted to punycode', e_url_bad_port: 'Invalid port {port}',
  e_tag_bad_utf8: 'The tag is not valid UTF-8', e_tag_control_char: 'Tag "{tag}" contains a control character',
  e_tag_comma: 'Tag "{tag}" contains a comma (tags are separated by commas)', e_tag_empty: 'The tag is empty',
  e_tag_too_long: 'Tag "{tag}…" is longer than {max} characters', e_link_not_found: 'No such link',
  e_snapshot_not_found: 'Snapshot {id} not found', e_snapshot_no_text: 'Snapshot {id} has no text',
  e_job_not_found: 'Job {id} not found', e_import_not_found: 'Import {id} not found',
  e_watch_not_found: 'Watch {id} not found', e_tag_not_found: 'No tag named "{tag}"',
  e_tag_is_alias: 'Tag "{tag}" is an alias of "{target}" (merged into it)',
  e_tag_not_alias: '"{tag}" is not an alias', e_tags_merge_none: 'None of the tags to merge exists',
  e_site_no_rule: 'No site rule matches {url}', e_job_ended: 'Job {id} already ended; nothing to cancel',
  e_param_missing: 'Missing param {param}', e_param_range: 'Param {param} must be from {min} to {max}, got {got}',
  e_param_nul: 'Param {param} must not contain NUL',
  e_param_too_many: 'Param {param} has too many elements (at most {max})', e_param_unknown: 'Unknown param {param}',
  e_param_text: 'Param {param} must be a non-empty text of at most {max} bytes without control characters',
  e_param_duration: 'Param {param} must be seconds or a duration such as 90s, 30m, 6h, 1d, 2w',
  e_param_exclusive: 'Give {a} or {b}, not both', e_param_recapture: 'recapture goes with capture: true',
  e_q_too_long: 'The search is too long (at most {max} characters)',
  e_bad_cursor: 'The page cursor is not valid for this sort: reload the list',
  e_too_many_links: 'The filter matches more than {max} links; at most {max} are re-captured at once: narrow the filter',
  e_import_content_too_big: 'The content is over 64 MiB',
  e_import_bad_format: 'Unknown import format (auto, text, netscape, csv, jsonl, json)',
  e_import_path_refused: 'A page may not name a file of the server: upload it',
  e_import_url_too_long: 'URL longer than {max} bytes', e_import_no_url: 'The entry has no URL',
  e_import_url_nul: 'The URL contains a NUL byte', e_import_url_utf8: 'The URL is not valid UTF-8',
  e_import_csv_empty_url: 'The record has an empty url field',
  e_import_csv_too_long: 'The record is longer than {max} bytes (unbalanced quote?)',
  e_import_csv_unterminated: 'Unterminated quoted field at the end of the file',
  e_import_csv_no_header: 'The CSV input has no header row',
  e_import_csv_no_url_column: 'The CSV header has no url column (name one column url, href or link)',
  e_import_line_too_long: 'Line longer than {max} bytes',
  e_import_json_too_long: 'JSON element longer than {max} bytes', e_import_json_bad_close: 'JSON array closed by }',
  e_import_json_trailing: 'Data after the end of the JSON value ignored',
  e_import_json_cut: 'JSON element cut off at the end of the file',
  e_import_json_not_closed: 'JSON not closed at the end of the file (truncated?)',
  e_import_json_invalid: 'Invalid JSON', e_import_json_not_object: 'The JSON value is not an object',
  e_import_json_not_link: 'The entry is not a link (no url field)',
  e_import_json_no_url: 'The object has no url field', e_import_json_url_type: 'The url field is not a string',
  e_import_json_top: 'The JSON input must be an array or an object',
  e_import_json_malformed: 'Malformed JSON object', e_import_json_empty: 'No JSON value in the input',
  e_import_json_no_array: 'The JSON object has no bookmark array (expected a key bookmarks, results, items, links, posts or data)',
  e_import_folders_too_deep: 'Folders nested deeper than {max}; the deeper folder names give no tags',
  e_import_bookmark_cut: 'Bookmark cut off at the end of the file',
  e_site_match_empty: 'The match is empty: give a host, host:port or URL prefix',
  e_site_match_too_long: 'The match is longer than {max} bytes', e_site_match_utf8: 'The match is not valid UTF-8',
  e_site_match_space: 'The match has a space or control character',
  e_site_match_bad: '"{match}" is not a host, host:port or http(s) URL',
  e_site_match_no_host: '"{match}" has no host',
  e_site_match_path: '"{match}" has a path: write a URL prefix with its scheme (https://host/path)',
  e_site_match_query: '"{match}": a host match takes no query, fragment or user',
  e_site_match_punycode: 'The host of "{match}" could not be converted to punycode',
  e_site_match_port: '"{match}" has an invalid port',
  e_site_viewport: 'The viewport must be 320 to 3840 px wide and 240 to 2160 px high',
  e_site_header_name: 'A rule may not set the header {header}',
  e_site_header_value: 'The value of the header {header} must be at most 4096 bytes without line breaks or control characters',
  e_site_too_many_cookies: 'The rule would hold over {max} cookies',
  e_watch_every_required: 'Give the interval (seconds, or 6h, 1d)',
  e_watch_every_range: 'The interval must be from {min} s to a year, not {got} s',
  e_watch_jitter: 'The jitter ({jitter} s) must be at most half of the interval ({every} s)',
  e_watch_threshold: 'The threshold must be a fraction of the page from 0 to 1 (0.001 is 0.1%)',
  e_watch_target: 'Name a link (link_id) or a tag',
  e_cookies_txt_too_big: 'The cookies.txt is over {max} bytes', e_cookies_txt_unusable: 'No usable cookie in the file ({bad} bad lines): expected Netscape cookies.txt lines of 7 TAB-separated fields',
  e_cookies_txt_other_domains: 'No cookie for {host} in the file: {n} cookies for other domains skipped ({domains})',
  e_diff_cross_link: 'Snapshots {from} and {to} are captures of different links ({a} and {b})', e_snapshot_no_screenshot: 'Snapshot {id} has no screenshot (its state is {state})',
  e_diff_needs_two: 'Link {id} has {n} good captures with a screenshot; a comparison needs two', e_shutting_down: 'linksnapd is stopping: retry after it restarts',
  e_store_busy: 'The database is locked by another process: retry',
  e_param_type: 'Param {param} has the wrong type or value', e_not_found: '{what} {id} not found',
  e_auth_too_many: 'Too many wrong tokens: try again in a minute', e_auth_wrong_token: 'Wrong token', e_auth_login: 'Log in first: run linksnap web on the machine of linksnapd for the login address', e_upload_too_big: 'Uploads are limited to {max} MiB',
  e_site_selector_empty: 'Selector {n} is empty or over 512 bytes', e_site_selector_bad: 'Selector {sel} has {, }, ;, < or a comment: give plain CSS selectors', e_site_selector_utf8: 'Selector {n} is not UTF-8', e_site_selectors_too_many: 'At most 100 selectors', e_site_cookie_name: 'A cookie name has letters, digits and !#$%&\'*+-.^_`|~ only', e_site_cookie_value: 'The value of cookie {cookie} must be at most 4096 bytes without ;, \\ or control characters', e_site_cookie_domain: 'The domain of cookie {cookie} must be a host name', e_site_cookie_outside: 'The domain {domain} of cookie {cookie} is outside the rule\'s match', e_site_cookie_path: 'The path of cookie {cookie} must start with /', e_site_too_many_headers: 'The rule would hold over {max} headers',
  e_site_endpoints_list: 'Param endpoints must be an array of 1 to {max} browser endpoint names (browser.endpoint.NAME in linksnapd.conf)', e_site_endpoint_name: 'Item {i} is not an endpoint name (1 to {max} letters, digits, - or _)', e_site_endpoint_twice: 'Endpoint {endpoint} is named twice', e_site_endpoint_unknown: 'linksnapd has no endpoint {endpoint}; its endpoints are: {known}',
};
const dicts = { zh, en };

function pick() {
  const saved = localStorage.getItem('linksnap.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  for (const l of navigator.languages || [navigator.language || 'zh']) {
    if (/^zh\b/i.test(l)) return 'zh';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'zh';
}

export let lang = pick();

export function setLang(l) {
  lang = l;
  localStorage.setItem('linksnap.lang', l);
}

// Whether the page's language (or Chinese, t's fallback) has a word for key.
export function hasWord(key) {
  return Boolean((dicts[lang] && key in dicts[lang]) || key in zh);
}

export function t(key, vars) {
  let s = (dicts[lang] && dicts[lang][key]) ?? zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ''));
  return s;
}

// The daemon's error codes (error.data {code, params}, an import line's {code, params}):
// the code's text in the page's language, else the English message the daemon sent.
function errParts(e) {
  if (!e) return { key: null, vars: null, text: '' };
  const d = e.data && typeof e.data === 'object' ? e.data : e;
  const code = d && typeof d.code === 'string' ? d.code : null;
  if (code && dicts[lang] && dicts[lang]['e_' + code] != null) return { key: 'e_' + code, vars: d.params || {}, text: null };
  return { key: null, vars: null, text: String(e.message ?? e.reason ?? e) };
}

// An error as text: an RpcError, a JSON-RPC error object, or an import line {reason, code, params}.
export function tErr(e) {
  const p = errParts(e);
  return p.key ? t(p.key, p.vars) : p.text;
}

// The same as an element: what the user typed ({text}, {url}, {tag}, ...) is set apart in
// <bdi data-user> (right-to-left safe, and the page's own words stay tellable from it).
export function tNode(key, vars) {
  const span = document.createElement('span');
  const s = (dicts[lang] && dicts[lang][key]) ?? zh[key] ?? key;
  let last = 0;
  for (const m of s.matchAll(/\{(\w+)\}/g)) {
    span.append(s.slice(last, m.index));
    if (vars && m[1] in vars) {
      const b = document.createElement('bdi');
      b.dataset.user = '';
      b.textContent = String(vars[m[1]]);
      span.append(b);
    }
    last = m.index + m[0].length;
  }
  span.append(s.slice(last));
  return span;
}

export function tErrNode(e) {
  const p = errParts(e);
  if (p.key) return tNode(p.key, p.vars);
  const span = document.createElement('span');
  span.textContent = p.text;
  return span;
}

// Fills every [data-i18n] element of root with its text.
export function applyStatic(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
}

// One formatter per language: building one costs about a millisecond, a page shows dozens.
const formatters = {};
export function fmtDate(iso) {
  if (!iso) return '';
  formatters[lang] ||= new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
  return formatters[lang].format(new Date(iso));
}

// A file size as people read it: 812 B, 3.4 KB, 12 MB (powers of 1024).
export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}
